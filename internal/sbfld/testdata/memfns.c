/* With -fno-builtin, variable-length memcpy/memset become calls that the
 * linker maps to sol_memcpy_/sol_memset_. input[16] is the first
 * instruction-data byte when the instruction has no accounts. */
typedef unsigned long long u64;
void *memcpy(void *dst, const void *src, u64 n);
void *memset(void *dst, int c, u64 n);
extern void sol_log_(const char *msg, u64 len);

u64 entrypoint(const unsigned char *input) {
	char buf[64];
	u64 n = input[16] & 15;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "copied by sol_memcpy_", n);
	sol_log_(buf, n + 4);
	return 0;
}
