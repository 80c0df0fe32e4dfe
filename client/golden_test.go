package client

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

type goldenMeta struct {
	Key      solana.PublicKey `json:"key"`
	Writable bool             `json:"writable"`
	Signer   bool             `json:"signer"`
}

type goldenInstruction struct {
	Name     string           `json:"name"`
	Program  solana.PublicKey `json:"program"`
	Data     string           `json:"data"`
	Accounts []goldenMeta     `json:"accounts"`
}

// TestGoldenInstructions pins the complete output (program, data, metas) of every
// builder in testdata/instructions.json; regenerate with CLIENT_GOLDEN_UPDATE=1 after a
// reviewed change. Independent checks of the same bytes are the reference examples and
// the IDL conformance tests.
func TestGoldenInstructions(t *testing.T) {
	const now = 1_700_000_000
	signer, auth, payer, target := key("signer"), key("authority"), key("payer"), key("target")
	v1, _, _ := pda.SessionToken(pda.MagicBlockProgramID, target, signer, auth)
	v2, _, _ := pda.SessionTokenV2(pda.MagicBlockProgramID, target, signer, auth)
	cases := []struct {
		name  string
		build func() (solana.Instruction, error)
	}{
		{"create_session defaults", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: signer, Authority: auth, TargetProgram: target}, CreateArgs{})
		}},
		{"create_session top-up 0.005 SOL, 1 h", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: signer, Authority: auth, TargetProgram: target}, CreateArgs{TopUp: new(true), Lamports: new(uint64(5_000_000)), ClusterTime: now, ValidFor: DefaultValidity})
		}},
		{"create_session on the Gum deployment", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: signer, Authority: auth, TargetProgram: target}, CreateArgs{ProgramID: pda.GumProgramID, TopUp: new(true)})
		}},
		{"create_session_with_payer defaults", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: signer, Payer: payer, Authority: auth, TargetProgram: target}, CreateArgs{})
		}},
		{"create_session_with_payer 7 days, no top-up", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: signer, Payer: payer, Authority: auth, TargetProgram: target}, CreateArgs{TopUp: new(false), ClusterTime: now, ValidFor: MaxValidity})
		}},
		{"create_session_v2 top-up default, valid until", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: signer, FeePayer: payer, Authority: auth, TargetProgram: target}, CreateArgs{TopUp: new(true), ClusterTime: now, ValidUntil: new(int64(now + 3600))})
		}},
		{"revoke_session", func() (solana.Instruction, error) {
			return NewRevokeSession(RevokeSessionAccounts{SessionToken: v1, Authority: auth}, RevokeArgs{})
		}},
		{"revoke_session_v2 active (authority signs)", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: v2, FeePayer: payer, Authority: auth}, RevokeArgs{})
		}},
		{"revoke_session_v2 expired", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: v2, FeePayer: payer, Authority: auth}, RevokeArgs{AuthorityUnsigned: !false})
		}},
	}
	var got []goldenInstruction
	for _, c := range cases {
		ix, err := c.build()
		require.NoError(t, err, c.name)
		g := goldenInstruction{Name: c.name, Program: ix.ProgramID(), Data: hex.EncodeToString(mustData(t, ix))}
		for _, m := range ix.Accounts() {
			g.Accounts = append(g.Accounts, goldenMeta{m.PublicKey, m.IsWritable, m.IsSigner})
		}
		got = append(got, g)
	}
	path := filepath.Join("testdata", "instructions.json")
	if os.Getenv("CLIENT_GOLDEN_UPDATE") != "" {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var want []goldenInstruction
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, want, got)
}
