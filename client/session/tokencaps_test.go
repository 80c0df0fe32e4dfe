package session

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Stored token caps round-trip exactly, without what remains; bad lists are refused by
// name.
func TestTokenTopUpCapsEncoding(t *testing.T) {
	mint, other := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()
	caps := []TokenCap{
		{Mint: mint, Program: spl.TokenProgramID, Mode: TokenTopUp, Decimals: 6, Account: solana.NewWallet().PublicKey(), Granted: 1 << 62, Arrived: 1<<62 - 7, Remaining: 99},
		{Mint: other, Program: spl.Token2022ProgramID, Mode: TokenDelegate, Decimals: 9, Account: solana.NewWallet().PublicKey(), Granted: 5},
	}
	b, err := encodeTokenCaps(caps)
	require.NoError(t, err)
	got, err := decodeTokenCaps(b)
	require.NoError(t, err)
	want := append([]TokenCap(nil), caps...)
	want[0].Remaining = 0
	require.Equal(t, want, got)

	bad := caps[0]
	bad.Program = solana.SystemProgramID
	_, err = encodeTokenCaps([]TokenCap{bad})
	require.ErrorIs(t, err, ErrBadParams)

	for _, tc := range []struct{ name, doc, reason string }{
		{"not a list", `{}`, "cannot unmarshal"},
		{"unknown field", `[{"mint":"` + mint.String() + `","extra":1}]`, "unknown field"},
		{"trailing", `[] []`, "data after the list"},
		{"bad key", `[{"mint":"x","program":"","mode":"","decimals":0,"account":"","granted":"1","arrived":"0"}]`, `mint "x"`},
		{"bad mode", capDoc(mint, spl.TokenProgramID, "loan", "1"), `mode "loan"`},
		{"bad amount", capDoc(mint, spl.TokenProgramID, "top-up", "-1"), `granted "-1"`},
		{"zero", capDoc(mint, spl.TokenProgramID, "top-up", "0"), "granted nothing"},
		{"program", capDoc(mint, solana.SystemProgramID, "top-up", "1"), "neither Token nor Token-2022"},
		{"twice", "[" + capEntry(mint, spl.TokenProgramID, "top-up", "1") + "," + capEntry(mint, spl.TokenProgramID, "delegate", "1") + "]", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeTokenCaps([]byte(tc.doc))
			var ce *TokenCapsError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, ErrBadParams)
			require.ErrorContains(t, err, tc.reason)
		})
	}
}

func capEntry(mint, program solana.PublicKey, mode, granted string) string {
	return `{"mint":"` + mint.String() + `","program":"` + program.String() + `","mode":"` + mode + `","decimals":6,"account":"` +
		mint.String() + `","granted":"` + granted + `","arrived":"0"}`
}

func capDoc(mint, program solana.PublicKey, mode, granted string) string {
	return "[" + capEntry(mint, program, mode, granted) + "]"
}

func FuzzDecodeTokenCaps(f *testing.F) {
	b, err := encodeTokenCaps([]TokenCap{{Mint: solana.NewWallet().PublicKey(), Program: spl.TokenProgramID, Account: solana.NewWallet().PublicKey(), Granted: 3, Arrived: 3}})
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		caps, err := decodeTokenCaps(b)
		if err != nil {
			var ce *TokenCapsError
			require.True(t, errors.As(err, &ce), "%T", err)
			return
		}
		again, err := encodeTokenCaps(caps)
		require.NoError(t, err, "what decodes encodes")
		back, err := decodeTokenCaps(again)
		require.NoError(t, err)
		require.Equal(t, caps, back)
	})
}

// A session restored from a Dir store knows its token caps: its delegate allowance
// shows in Caps and ends at its revoke, a renewal grants both caps again, and a stored
// list pointing a cap at another account is refused at Resume.
func TestTokenTopUpRestoredSessionKeepsCaps(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	gold, gems := e.newMint(issuer, plainToken), e.newMint(issuer, plain2022)
	goldATA := e.mintTo(issuer, gold, spl.TokenProgramID, authority.PublicKey(), 1_000_000)
	gemsATA := e.mintTo(issuer, gems, spl.Token2022ProgramID, authority.PublicKey(), 1_000_000)
	dir := filepath.Join(t.TempDir(), "store")
	st, err := tokenstore.Create(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	defer st.Close()
	persister := StorePersister(st, e.m.ProgramID())

	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour,
		Tokens: []TokenGrant{{Mint: gold, Amount: 200_000}, {Mint: gems, Amount: 300_000, Mode: TokenDelegate}}})
	require.NoError(t, err)
	require.NoError(t, persister.Save(e.ctx, s.Snapshot()))
	raw, err := st.Attachment(e.ctx, s.Token(), tokenstore.AttachmentTokens)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "remaining")

	// A restarted backend: a new Manager, the session from the store.
	m2 := NewManager(e.rpc, e.snd, WithProgramID(e.m.ProgramID()))
	snaps, err := persister.Load(e.ctx)
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	restored, err := m2.Resume(e.ctx, snaps[0])
	require.NoError(t, err)
	granted := s.TokenGrants()
	for i := range granted {
		granted[i].Remaining = 0
	}
	require.Equal(t, granted, restored.TokenGrants())
	caps, err := restored.Caps(e.ctx)
	require.NoError(t, err)
	sessionGold, err := spl.AssociatedTokenAddress(s.SessionSigner(), gold, spl.TokenProgramID)
	require.NoError(t, err)
	require.Equal(t, []TokenCap{
		{Mint: gold, Program: spl.TokenProgramID, Mode: TokenTopUp, Decimals: 6, Account: sessionGold, Granted: 200_000, Arrived: 200_000, Remaining: 200_000},
		{Mint: gems, Program: spl.Token2022ProgramID, Mode: TokenDelegate, Decimals: 9, Account: gemsATA, Granted: 300_000, Remaining: 300_000},
	}, caps.Tokens, "the allowance is known after the restart")

	// A list edited to point the allowance at another account is refused.
	forged := snaps[0]
	forged.Tokens = append([]TokenCap(nil), forged.Tokens...)
	forged.Tokens[1].Account = goldATA
	_, err = m2.Resume(e.ctx, forged)
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorContains(t, err, "names account "+goldATA.String())

	// Renew grants both caps again and revokes the restored session, ending its
	// allowance (replaced by the new one) and returning its top-up.
	next, err := m2.Renew(e.ctx, restored, authority, RenewParams{TopUp: 3_000_000, ValidFor: time.Hour, RevokeOld: true})
	require.NoError(t, err)
	require.Len(t, next.TokenGrants(), 2)
	require.Equal(t, uint64(200_000), e.tokens(next.TokenGrants()[0].Account))
	a := e.tokenAccount(gemsATA)
	require.Equal(t, next.SessionSigner(), a.Delegate)
	require.Equal(t, uint64(300_000), a.DelegatedAmount)
	require.Equal(t, uint64(1_000_000-200_000), e.tokens(goldATA), "the old top-up came back, the new one went out")
	require.False(t, e.exists(sessionGold))

	_, err = m2.Revoke(e.ctx, next, RevokeParams{Tokens: next.TokenGrants()})
	require.ErrorIs(t, err, ErrBadParams, "a Session knows its own caps")
	res, err := m2.Revoke(e.ctx, next, RevokeParams{})
	require.NoError(t, err)
	require.Len(t, res.Allowances, 1)
	a = e.tokenAccount(gemsATA)
	require.True(t, a.Delegate.IsZero())
	require.Equal(t, uint64(1_000_000), e.tokens(goldATA))
	require.Equal(t, uint64(1_000_000), a.Amount)

	// The attachment is authenticated like the record: a flipped byte is caught.
	// (The renewal was not saved: the store holds the first session alone.)
	path := filepath.Join(dir, "sessions", s.Token().String()+".tokens.att")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[60] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, err = persister.Load(e.ctx)
	var ce *tokenstore.CorruptError
	require.ErrorAs(t, err, &ce)
	require.ErrorContains(t, err, "token caps")
}

// Sign-out everywhere ends the delegate allowance of a session whose key the store
// holds: the stored caps name it.
func TestRevokeAllEndsStoredAllowances(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	mint := e.newMint(issuer, plainToken)
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), 1_000_000)
	store := StorePersister(tokenstore.NewMemory(), e.m.ProgramID())
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour,
		Tokens: []TokenGrant{{Mint: mint, Amount: 400_000, Mode: TokenDelegate}}})
	require.NoError(t, err)
	require.NoError(t, store.Save(e.ctx, s.Snapshot()))
	require.Equal(t, s.SessionSigner(), e.tokenAccount(walletATA).Delegate)

	res, err := e.m.RevokeAll(e.ctx, RevokeAllParams{Authority: authority.PublicKey(), Persister: store})
	require.NoError(t, err)
	require.Len(t, res.Revoked, 1)
	require.Len(t, res.Revoked[0].Result.Allowances, 1)
	require.Equal(t, uint64(400_000), res.Revoked[0].Result.Allowances[0].Remaining)
	a := e.tokenAccount(walletATA)
	require.True(t, a.Delegate.IsZero(), "the allowance ended with the stored key")
	require.Zero(t, a.DelegatedAmount)
	require.False(t, e.exists(s.Token()))
}
