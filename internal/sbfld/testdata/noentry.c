/* Defines no entrypoint. */
typedef unsigned long long u64;
u64 helper(u64 x) { return x + 1; }
