package client

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// signedFixtures are transactions whose signed bytes must equal solana-go's.
func signedFixtures(t *testing.T) map[string]func() ([]solana.Instruction, *txn.SessionKey, []*txn.SessionKey) {
	return map[string]func() ([]solana.Instruction, *txn.SessionKey, []*txn.SessionKey){
		"create_session": func() ([]solana.Instruction, *txn.SessionKey, []*txn.SessionKey) {
			s, a := testKey(t, "session"), testKey(t, "wallet")
			ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: s.PublicKey(), Authority: a.PublicKey(), TargetProgram: key("game")}, CreateArgs{TopUp: new(true), ValidUntil: new(int64(1_700_000_000)), ClusterTime: 1_699_999_000})
			require.NoError(t, err)
			return []solana.Instruction{ix}, a, []*txn.SessionKey{s}
		},
		"session_only": func() ([]solana.Instruction, *txn.SessionKey, []*txn.SessionKey) {
			s := testKey(t, "session")
			tok, _, err := pda.SessionToken(pda.MagicBlockProgramID, key("game"), s.PublicKey(), key("player"))
			require.NoError(t, err)
			return []solana.Instruction{gameInstruction(s.PublicKey(), tok)}, s, nil
		},
		"revoke_session_v2": func() ([]solana.Instruction, *txn.SessionKey, []*txn.SessionKey) {
			a, p := testKey(t, "wallet"), testKey(t, "payer")
			tok, _, err := pda.SessionTokenV2(pda.MagicBlockProgramID, key("game"), testKey(t, "session").PublicKey(), a.PublicKey())
			require.NoError(t, err)
			ix, err := NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, FeePayer: p.PublicKey(), Authority: a.PublicKey()}, RevokeArgs{})
			require.NoError(t, err)
			return []solana.Instruction{ix}, p, []*txn.SessionKey{a}
		},
	}
}

// gameInstruction is a target-program instruction signed only by the session key.
func gameInstruction(sessionSigner, tok solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(key("game"), solana.AccountMetaSlice{
		solana.NewAccountMeta(key("player state"), true, false),
		solana.NewAccountMeta(sessionSigner, true, true),
		solana.NewAccountMeta(tok, false, false),
	}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 42})
}

func TestSignedTransactionsMatchSolanaGo(t *testing.T) {
	bh := solana.Hash(key("blockhash"))
	golden := map[string]string{}
	for name, fixture := range signedFixtures(t) {
		ours, payer, others := fixture()
		theirs, _, _ := fixture()

		msg, err := txn.CompileLegacy(payer.PublicKey(), bh, ours...)
		require.NoError(t, err)
		wire, err := msg.Sign(append([]*txn.SessionKey{payer}, others...)...)
		require.NoError(t, err)

		tx, err := solana.NewTransaction(theirs, bh, solana.TransactionPayer(payer.PublicKey()))
		require.NoError(t, err)
		keys := map[solana.PublicKey]solana.PrivateKey{payer.PublicKey(): payer.PrivateKey()}
		for _, k := range others {
			keys[k.PublicKey()] = k.PrivateKey()
		}
		_, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey {
			if k, ok := keys[pk]; ok {
				return &k
			}
			return nil
		})
		require.NoError(t, err)
		want, err := tx.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(wire), name)

		back, err := solana.TransactionFromBytes(wire)
		require.NoError(t, err)
		require.NoError(t, back.VerifySignatures())
		golden[name] = hex.EncodeToString(wire)
	}
	// Wire reference figures: a signed create_session is 386 bytes with header {2,0,3}.
	create := golden["create_session"]
	require.Len(t, create, 2*386)
	require.Equal(t, "020003", create[2+2*128:2+2*128+6])

	path := filepath.Join("testdata", "signed_transactions.json")
	if os.Getenv("CLIENT_GOLDEN_UPDATE") != "" {
		b, err := json.MarshalIndent(golden, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var stored map[string]string
	require.NoError(t, json.Unmarshal(b, &stored))
	require.Equal(t, stored, golden)
}
