/* Takes a function's address: SBPF callx is not supported by the linker. */
typedef unsigned long long u64;
typedef u64 (*op_fn)(u64);

static u64 neg(u64 x) { return -x; }
static u64 dbl(u64 x) { return x * 2; }
static const op_fn ops[] = {neg, dbl};

u64 entrypoint(const unsigned char *input) {
	return ops[input[0] & 1](input[1]);
}
