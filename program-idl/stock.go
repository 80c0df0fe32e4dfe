package programidl

import _ "embed"

// The stock programs publish no Anchor IDL. These were written for sessionkit in the 0.30
// spec, with the programs' own instruction tags as discriminators, so that their
// instructions decode like any Anchor program's wherever the wire layouts agree with
// borsh. Instructions whose layouts do not (System's bincode strings) are left out.
var (
	//go:embed system.json
	systemJSON []byte
	//go:embed compute_budget.json
	computeBudgetJSON []byte
	//go:embed spl_token.json
	tokenJSON []byte
	//go:embed associated_token.json
	associatedTokenJSON []byte
)

// System parses the IDL of the System program's fixed-layout instructions.
func System() (*IDL, error) { return Parse(systemJSON) }

// ComputeBudget parses the IDL of the Compute Budget program.
func ComputeBudget() (*IDL, error) { return Parse(computeBudgetJSON) }

// Token parses the IDL of the SPL Token instructions that Token-2022 shares (its
// extensions' instructions are not in it). Its address is the original Token program's.
func Token() (*IDL, error) { return Parse(tokenJSON) }

// AssociatedToken parses the IDL of the Associated Token Account program.
func AssociatedToken() (*IDL, error) { return Parse(associatedTokenJSON) }
