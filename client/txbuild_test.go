package client

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

type role struct{ signer, writable bool }

// randomInstructions returns two identical sets of fresh instructions (solana-go mutates
// the metas of the set it compiles). Flags are drawn so that no key is a read-only
// signer in one meta and writable in another: that is the case where solana-go and
// CompileLegacy intentionally differ (TestCompileLegacyMergesFlagsFirst).
func randomInstructions(r *rand.Rand, pool []solana.PublicKey, roles map[solana.PublicKey]role) ([]solana.Instruction, []solana.Instruction) {
	n := 1 + r.IntN(4)
	var a, b []solana.Instruction
	for range n {
		program := pool[r.IntN(len(pool))]
		var ma, mb solana.AccountMetaSlice
		for range r.IntN(8) {
			k := pool[r.IntN(len(pool))]
			ro := roles[k]
			s := ro.signer && r.IntN(2) == 0
			w := ro.writable && (s || r.IntN(2) == 0)
			ma = append(ma, solana.NewAccountMeta(k, w, s))
			mb = append(mb, solana.NewAccountMeta(k, w, s))
		}
		data := make([]byte, r.IntN(200)) // crosses the 1-byte short_vec limit (128)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		a = append(a, solana.NewInstruction(program, ma, data))
		b = append(b, solana.NewInstruction(program, mb, append([]byte(nil), data...)))
	}
	return a, b
}

func TestCompileLegacyMatchesSolanaGo(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for iter := range 400 {
		pool := make([]solana.PublicKey, 3+r.IntN(12))
		roles := map[solana.PublicKey]role{}
		for i := range pool {
			pool[i] = key(fmt.Sprint(iter, "/", i))
			roles[pool[i]] = role{r.IntN(3) == 0, r.IntN(2) == 0}
		}
		ours, theirs := randomInstructions(r, pool, roles)
		payer := pool[r.IntN(len(pool))]
		if r.IntN(3) == 0 {
			payer = key(fmt.Sprint(iter, "/payer")) // not in any instruction
		}
		var bh solana.Hash
		for i := range bh {
			bh[i] = byte(r.Uint32())
		}

		msg, err := CompileLegacy(payer, bh, ours...)
		require.NoError(t, err)
		tx, err := solana.NewTransaction(theirs, bh, solana.TransactionPayer(payer))
		require.NoError(t, err)
		want, err := tx.Message.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(msg.Bytes()), "iteration %d", iter)
		require.Equal(t, tx.Message.Signers(), solana.PublicKeySlice(msg.Signers()))
		for _, ix := range ours {
			for _, m := range ix.Accounts() {
				if m.PublicKey == payer {
					require.True(t, !m.IsSigner || roles[payer].signer, "CompileLegacy must not write through metas")
				}
			}
		}
	}
}

// TestCompileLegacyMergesFlagsFirst: a key that is a read-only signer in one meta and a
// writable non-signer in another must end up a writable signer, placed among the writable
// signers (the runtime derives writability from the position).
func TestCompileLegacyMergesFlagsFirst(t *testing.T) {
	payer, a, b := key("payer"), key("a"), key("b")
	if string(a[:]) > string(b[:]) {
		a, b = b, a // a < b, so a sorts before b among read-only signers
	}
	ix1 := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{
		solana.NewAccountMeta(a, false, true), solana.NewAccountMeta(b, false, true)}, nil)
	ix2 := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{solana.NewAccountMeta(b, true, false)}, nil)
	msg, err := CompileLegacy(payer, solana.Hash{}, ix1, ix2)
	require.NoError(t, err)
	wire, err := msg.Assemble(make([]solana.Signature, 3))
	require.NoError(t, err)
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	m := &tx.Message
	require.Equal(t, []solana.PublicKey{payer, b, a, key("prog")}, []solana.PublicKey(m.AccountKeys))
	wantWritable := map[solana.PublicKey]bool{payer: true, b: true, a: false, key("prog"): false}
	for _, k := range m.AccountKeys {
		w, err := m.IsWritable(k)
		require.NoError(t, err)
		require.Equal(t, wantWritable[k], w, k.String())
		require.Equal(t, k != key("prog"), m.IsSigner(k))
	}
}

func TestCompileLegacyErrors(t *testing.T) {
	_, err := CompileLegacy(key("p"), solana.Hash{})
	require.ErrorIs(t, err, ErrCompile)
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), solana.AccountMetaSlice{nil}, nil))
	require.ErrorIs(t, err, ErrCompile)
	var metas solana.AccountMetaSlice
	for i := range 256 {
		metas = append(metas, solana.NewAccountMeta(key(fmt.Sprint("k", i)), false, false))
	}
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), metas, nil))
	require.ErrorIs(t, err, ErrCompile)
	require.ErrorContains(t, err, "258 account keys")
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), metas[:254], nil))
	require.NoError(t, err)
}

func TestSignErrors(t *testing.T) {
	s, a := testKey(t, "signer"), testKey(t, "authority")
	ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: s.PublicKey(), Authority: a.PublicKey(), TargetProgram: key("t")})
	require.NoError(t, err)
	msg, err := CompileLegacy(a.PublicKey(), solana.Hash{1}, ix)
	require.NoError(t, err)
	require.Equal(t, []solana.PublicKey{a.PublicKey(), s.PublicKey()}, msg.Signers())

	_, err = msg.Sign(a)
	require.ErrorIs(t, err, ErrSigner)
	_, err = msg.Sign(a, a)
	require.ErrorIs(t, err, ErrSigner)
	require.ErrorContains(t, err, "no key for required signer "+s.PublicKey().String())
	_, err = msg.Sign(a, nil)
	require.ErrorIs(t, err, ErrSigner)
	_, err = LegacyMessage{}.Sign(a)
	require.ErrorIs(t, err, ErrSigner)
	_, err = msg.Assemble([]solana.Signature{{}})
	require.ErrorIs(t, err, ErrSigner)

	wire, err := msg.Sign(s, a) // any order
	require.NoError(t, err)
	sigs := []solana.Signature{a.Sign(msg.Bytes()), s.Sign(msg.Bytes())}
	assembled, err := msg.Assemble(sigs)
	require.NoError(t, err)
	require.Equal(t, wire, assembled)
	require.Equal(t, sigs[0][:], wire[1:65], "wire[1:65] is the fee payer's signature")
}

// signedFixtures are transactions whose signed bytes must equal solana-go's.
func signedFixtures(t *testing.T) map[string]func() ([]solana.Instruction, *SessionKey, []*SessionKey) {
	return map[string]func() ([]solana.Instruction, *SessionKey, []*SessionKey){
		"create_session": func() ([]solana.Instruction, *SessionKey, []*SessionKey) {
			s, a := testKey(t, "session"), testKey(t, "wallet")
			ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: s.PublicKey(), Authority: a.PublicKey(), TargetProgram: key("game")},
				WithTopUp(true), WithValidUntil(1_700_000_000), WithClusterTime(1_699_999_000))
			require.NoError(t, err)
			return []solana.Instruction{ix}, a, []*SessionKey{s}
		},
		"session_only": func() ([]solana.Instruction, *SessionKey, []*SessionKey) {
			s := testKey(t, "session")
			tok, _, err := pda.SessionToken(pda.MagicBlockProgramID, key("game"), s.PublicKey(), key("player"))
			require.NoError(t, err)
			return []solana.Instruction{gameInstruction(s.PublicKey(), tok)}, s, nil
		},
		"revoke_session_v2": func() ([]solana.Instruction, *SessionKey, []*SessionKey) {
			a, p := testKey(t, "wallet"), testKey(t, "payer")
			tok, _, err := pda.SessionTokenV2(pda.MagicBlockProgramID, key("game"), testKey(t, "session").PublicKey(), a.PublicKey())
			require.NoError(t, err)
			ix, err := NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, FeePayer: p.PublicKey(), Authority: a.PublicKey()})
			require.NoError(t, err)
			return []solana.Instruction{ix}, p, []*SessionKey{a}
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

		msg, err := CompileLegacy(payer.PublicKey(), bh, ours...)
		require.NoError(t, err)
		wire, err := msg.Sign(append([]*SessionKey{payer}, others...)...)
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

func TestCompactU16(t *testing.T) {
	for n, want := range map[int]string{0: "00", 1: "01", 127: "7f", 128: "8001", 255: "ff01", 16383: "ff7f", 16384: "808001", 65535: "ffff03"} {
		require.Equal(t, want, hex.EncodeToString(appendCompactU16(nil, n)), "n=%d", n)
	}
}
