/* Library object: global functions called from multi_main.c, a static
 * helper, and a table of string pointers (R_BPF_64_ABS64 in .rodata). */
typedef unsigned long long u64;

static const char *const words[] = {"one", "two", "three", "four"};

static __attribute__((noinline)) u64 add(u64 a, u64 b) {
	return a + b;
}

u64 lib_len(const char *s) {
	u64 n = 0;
	while (s[n])
		n++;
	return n;
}

u64 lib_sum(const unsigned char *p, u64 n) {
	u64 s = 0;
	for (u64 i = 0; i < n; i++)
		s = add(s, p[i]);
	return s;
}

const char *lib_word(u64 i) {
	return words[i & 3];
}
