package sbfld

import "testing"

// Vectors from published murmur3_32 (seed 0) test suites and from the
// syscall id tables of other SBPF implementations; every tail length
// (0–3 bytes past a 4-byte block) is covered.
func TestSyscallID(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
	}{
		{"", 0},
		{"abc", 0xb3dd93fa},
		{"test", 0xba6bd213},
		{"Hello, world!", 0xc0363e43},
		{"The quick brown fox jumps over the lazy dog", 0x2e4ff723},
		{"entrypoint", 0x71e3cf81},
		{"abort", 0xb6fc1a11},
		{"sol_log_", 0x207559bd},
		{"sol_log_64_", 0x5c2a3178},
		{"sol_log_pubkey", 0x7ef088ca},
		{"sol_sha256", 0x11f49d86},
		{"sol_memcpy_", 0x717cc4a3},
		{"sol_memmove_", 0x434371f8},
		{"sol_memset_", 0x3770fb22},
		{"sol_memcmp_", 0x5fdcde31},
		{"sol_create_program_address", 0x9377323c},
		{"sol_try_find_program_address", 0x48504a38},
		{"sol_invoke_signed_c", 0xa22b9c85},
		{"sol_invoke_signed_rust", 0xd7449092},
		{"sol_get_clock_sysvar", 0xd56b5fe9},
		{"sol_get_rent_sysvar", 0xbf7188f6},
		{"sol_set_return_data", 0xa226d3eb},
		{"sol_get_return_data", 0x5d2245e4},
		{"sol_log_data", 0x7317b434},
		{"sol_get_stack_height", 0x85532d94},
		{"sol_get_processed_sibling_instruction", 0xadb8efc8},
		{"sol_get_epoch_stake", 0x5be92f4a},
	}
	for _, tt := range tests {
		if got := SyscallID(tt.in); got != tt.want {
			t.Errorf("SyscallID(%q) = %#08x, want %#08x", tt.in, got, tt.want)
		}
	}
}

// Syscall ids must be unique, or the runtime could not tell them apart.
func TestSyscallIDsDistinct(t *testing.T) {
	seen := map[uint32]string{}
	for _, n := range Syscalls() {
		id := SyscallID(n)
		if prev, dup := seen[id]; dup {
			t.Fatalf("%s and %s share id %#x", prev, n, id)
		}
		seen[id] = n
	}
	if len(seen) != 37 {
		t.Fatalf("allow-list has %d names, want 37", len(seen))
	}
}
