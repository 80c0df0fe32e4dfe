/* A writable global: SBPF has no writable data, so linking must fail. */
typedef unsigned long long u64;
u64 counter = 5;

u64 entrypoint(const unsigned char *input) {
	counter += input[0];
	return counter;
}
