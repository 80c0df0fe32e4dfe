/* memcmp must be refused, not mapped: sol_memcmp_ has another signature. */
typedef unsigned long long u64;
int memcmp(const void *a, const void *b, u64 n);

u64 entrypoint(const unsigned char *input) {
	return memcmp(input, input + 8, 8) == 0;
}
