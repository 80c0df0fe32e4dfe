package sbfld

import "sort"

// syscalls is the allow-list: the syscalls an Agave 4.1–4.3 runtime with
// its default feature set registers for deployment. Each was confirmed by
// deploying a program that calls it through BPFLoaderUpgradeable in
// LiteSVM 1.5.0 and surfpool 1.5.0. Left out because those deploys reject
// them: sol_blake3, sol_sha512, sol_big_mod_exp, sol_remaining_compute_units
// (feature-gated off), sol_get_fees_sysvar and sol_alloc_free_ (retired).
var syscalls = map[string]bool{
	"abort":                                 true,
	"sol_panic_":                            true,
	"sol_log_":                              true,
	"sol_log_64_":                           true,
	"sol_log_compute_units_":                true,
	"sol_log_pubkey":                        true,
	"sol_log_data":                          true,
	"sol_create_program_address":            true,
	"sol_try_find_program_address":          true,
	"sol_sha256":                            true,
	"sol_keccak256":                         true,
	"sol_secp256k1_recover":                 true,
	"sol_poseidon":                          true,
	"sol_curve_validate_point":              true,
	"sol_curve_group_op":                    true,
	"sol_curve_multiscalar_mul":             true,
	"sol_curve_decompress":                  true,
	"sol_curve_pairing_map":                 true,
	"sol_alt_bn128_group_op":                true,
	"sol_alt_bn128_compression":             true,
	"sol_get_clock_sysvar":                  true,
	"sol_get_epoch_schedule_sysvar":         true,
	"sol_get_rent_sysvar":                   true,
	"sol_get_last_restart_slot":             true,
	"sol_get_epoch_rewards_sysvar":          true,
	"sol_get_sysvar":                        true,
	"sol_get_epoch_stake":                   true,
	"sol_memcpy_":                           true,
	"sol_memmove_":                          true,
	"sol_memset_":                           true,
	"sol_memcmp_":                           true,
	"sol_invoke_signed_c":                   true,
	"sol_invoke_signed_rust":                true,
	"sol_set_return_data":                   true,
	"sol_get_return_data":                   true,
	"sol_get_stack_height":                  true,
	"sol_get_processed_sibling_instruction": true,
}

// libcAliases maps libc names that LLVM may emit as calls (it normally
// inlines them) to the syscalls with the same signature.
var libcAliases = map[string]string{
	"memcpy":  "sol_memcpy_",
	"memmove": "sol_memmove_",
	"memset":  "sol_memset_",
}

// refusedHints explains names that look like they should work but must not
// be mapped silently.
var refusedHints = map[string]string{
	"memcmp": "memcmp is not mapped to sol_memcmp_, whose signature differs " +
		"(sol_memcmp_(a, b, n, int *result) writes the result through a pointer); " +
		"call sol_memcmp_ directly or compare in a loop",
	"bcmp": "bcmp (LLVM's rewrite of memcmp(...) == 0) has no syscall; " +
		"call sol_memcmp_(a, b, n, &result) directly or compare in a loop",
}

// Syscalls returns the allow-list, sorted.
func Syscalls() []string {
	names := make([]string, 0, len(syscalls))
	for n := range syscalls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
