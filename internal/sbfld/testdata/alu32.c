/* Built with -mcpu=v3 to produce ALU32 instructions the linker must refuse. */
typedef unsigned int u32;
typedef unsigned long long u64;

u64 entrypoint(const unsigned char *input) {
	u32 x = *(const u32 *)input;
	return (u64)(x + 0x7fffffff);
}
