/* Calls a function that is neither defined nor a Solana syscall. */
typedef unsigned long long u64;
extern void sol_frobnicate(u64 x);

u64 entrypoint(const unsigned char *input) {
	sol_frobnicate(input[0]);
	return 0;
}
