package txview

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// memoV1ID is the first Memo program, still accepted by wallets and explorers.
var memoV1ID = solana.MustPublicKeyFromBase58("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")

// known are the programs the CLI names, one line each; those with an IDL have their
// instructions decoded.
var known = []struct {
	id   solana.PublicKey
	name string
	idl  func() (*programidl.IDL, error)
	text bool
}{
	{pda.MagicBlockProgramID, "gpl_session", programidl.Session, false},
	{pda.GumProgramID, "gpl_session (Gum)", programidl.GumSession, false},
	{examplegame.ProgramID, "example_game", programidl.ExampleGame, false},
	{solana.SystemProgramID, "System", programidl.System, false},
	{solana.ComputeBudget, "Compute Budget", programidl.ComputeBudget, false},
	{solana.TokenProgramID, "SPL Token", programidl.Token, false},
	{solana.Token2022ProgramID, "Token-2022", programidl.Token, false},
	{solana.SPLAssociatedTokenAccountProgramID, "Associated Token", programidl.AssociatedToken, false},
	{solana.MemoProgramID, "Memo", nil, true},
	{memoV1ID, "Memo v1", nil, true},
}

// Known returns the programs the CLI names. sessionProgram, the --program-id in use,
// decodes as gpl_session too when it is another deployment.
func Known(sessionProgram solana.PublicKey) (Programs, error) {
	ps := Programs{}
	for _, k := range known {
		p := Program{Name: k.name, Text: k.text}
		if k.idl != nil {
			idl, err := k.idl()
			if err != nil {
				return nil, fmt.Errorf("txview: embedded IDL of %s: %w", k.name, err)
			}
			p.IDL = idl
		}
		ps[k.id] = p
	}
	if _, ok := ps[sessionProgram]; !ok {
		ps[sessionProgram] = Program{Name: "gpl_session", IDL: ps[pda.MagicBlockProgramID].IDL}
	}
	return ps, nil
}
