/* Built with -ffunction-sections: every call, static ones included,
 * becomes R_BPF_64_32 against a section symbol. */
typedef unsigned long long u64;
extern void sol_log_64_(u64 a, u64 b, u64 c, u64 d, u64 e);

static __attribute__((noinline)) u64 twice(u64 x) { return x * 2; }
static __attribute__((noinline)) u64 inc(u64 x) { return x + 1; }
__attribute__((noinline)) u64 both(u64 x) { return inc(twice(x)); }

u64 entrypoint(const unsigned char *input) {
	u64 v = both(input[8]) + twice(3) + inc(4);
	sol_log_64_(v, 0, 0, 0, 0);
	return 0;
}
