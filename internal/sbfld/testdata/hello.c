/* Smallest program: one log line from .rodata through sol_log_. */
typedef unsigned long long u64;
extern void sol_log_(const char *msg, u64 len);

u64 entrypoint(const unsigned char *input) {
	(void)input;
	static const char msg[] = "hello from sbfld";
	sol_log_(msg, sizeof(msg) - 1);
	return 0;
}
