/* Entry object of a two-object link: calls into multi_lib.c, reads a
 * pointer table that lives in .rodata, and returns a checksum so a runtime
 * test can tell the relocations were applied. */
typedef unsigned long long u64;
extern void sol_log_(const char *msg, u64 len);
extern void sol_log_64_(u64 a, u64 b, u64 c, u64 d, u64 e);
extern u64 lib_sum(const unsigned char *p, u64 n);
extern const char *lib_word(u64 i);
extern u64 lib_len(const char *s);

static const char *const greetings[] = {"alpha", "beta", "gamma"};

static __attribute__((noinline)) u64 mix(u64 a, u64 b) {
	return a * 31 + b;
}

u64 entrypoint(const unsigned char *input) {
	u64 acc = 0;
	for (u64 i = 0; i < 3; i++) {
		const char *g = greetings[i];
		sol_log_(g, lib_len(g));
		const char *w = lib_word(i);
		sol_log_(w, lib_len(w));
		acc = mix(acc, lib_sum((const unsigned char *)w, lib_len(w)));
	}
	sol_log_64_(acc, 0, 0, 0, 0);
	return acc == 0 ? 1 : (input[0] == 0xff ? 2 : 0);
}
