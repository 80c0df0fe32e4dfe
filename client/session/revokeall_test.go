package session

import (
	"errors"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Sign out everywhere: one authority's V1 and V2 tokens, with keys in the store or not,
// active or with the token already gone, all end; top-ups come back where keys are held,
// keyless V1 tokens close together, active V2 tokens come back as one wallet
// transaction, and another authority's session is untouched.
func TestRevokeAllSignsOutEverywhere(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(2_000_000_000)
	other := e.funded(1_000_000_000)
	payer := e.funded(1_000_000_000)
	mint := e.newMint(issuer, plainToken)
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), 1_000_000)
	store := StorePersister(tokenstore.NewMemory(), e.m.ProgramID())
	grant := []TokenGrant{{Mint: mint, Amount: 100_000}}
	create := func(key solana.PrivateKey, kind Kind, keep bool, tokens []TokenGrant) *Session {
		t.Helper()
		s, err := e.m.Create(e.ctx, key, CreateParams{Kind: kind, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour, Tokens: tokens})
		require.NoError(t, err)
		if keep {
			require.NoError(t, store.Save(e.ctx, s.Snapshot()))
		}
		return s
	}
	heldV1 := create(authority, KindV1, true, grant)
	keyless1 := create(authority, KindV1, false, nil)
	keyless2 := create(authority, KindV1, false, nil)
	heldV2 := create(authority, KindV2, true, grant)
	keylessV2 := create(authority, KindV2, false, nil)
	gone := create(authority, KindV1, true, nil)
	_, err := e.m.Revoke(e.ctx, gone, RevokeParams{KeepLamports: true})
	require.NoError(t, err)
	bystander := create(other, KindV1, false, nil)
	require.Equal(t, uint64(1_000_000-200_000), e.tokens(walletATA))

	res, err := e.m.RevokeAll(e.ctx, RevokeAllParams{Authority: authority.PublicKey(), Persister: store, FeePayer: keyFrom(t, payer)})
	require.NoError(t, err)
	require.Empty(t, res.Failed)
	byToken := map[solana.PublicKey]RevokedToken{}
	for _, r := range res.Revoked {
		byToken[r.Token] = r
	}
	require.Len(t, byToken, 4)
	require.True(t, byToken[heldV1.Token()].KeyDeleted)
	require.Len(t, byToken[heldV1.Token()].Result.Tokens, 1)
	require.Equal(t, byToken[keyless1.Token()].Signature, byToken[keyless2.Token()].Signature, "keyless tokens close in one transaction")
	require.Nil(t, byToken[keyless1.Token()].Result)
	require.True(t, byToken[gone.Token()].KeyDeleted)
	require.NotNil(t, byToken[gone.Token()].Result, "the gone token's signer was swept")
	for _, s := range []*Session{heldV1, keyless1, keyless2, gone} {
		require.False(t, e.exists(s.Token()))
	}
	require.False(t, e.exists(heldV1.SessionSigner()))
	require.False(t, e.exists(gone.SessionSigner()))
	require.Equal(t, uint64(1_000_000-100_000), e.tokens(walletATA), "the V1 top-up is back")

	// The active V2 tokens wait for the wallet, in one transaction.
	require.Len(t, res.Wallet, 1)
	require.ElementsMatch(t, []solana.PublicKey{heldV2.Token(), keylessV2.Token()}, res.WalletTokens)
	require.True(t, e.exists(heldV2.Token()))
	_, err = e.m.SubmitSigned(e.ctx, res.Wallet[0], walletSign(t, res.Wallet[0].Bytes(), authority))
	require.NoError(t, err)
	require.False(t, e.exists(heldV2.Token()))
	require.False(t, e.exists(keylessV2.Token()))
	require.False(t, e.exists(heldV2.SessionSigner()), "the held V2 key's signer was swept after the wallet signed")
	require.Equal(t, uint64(1_000_000), e.tokens(walletATA), "both top-ups are back")
	snaps, err := store.Load(e.ctx)
	require.NoError(t, err)
	require.Empty(t, snaps, "every key left the store")
	require.True(t, e.exists(bystander.Token()), "another authority's session stays")

	// Nothing left: a second sign-out finds nothing to do.
	res, err = e.m.RevokeAll(e.ctx, RevokeAllParams{Authority: authority.PublicKey(), Persister: store})
	require.NoError(t, err)
	require.Empty(t, res.Revoked)
	require.Empty(t, res.Wallet)
}

// Without a payer for keyless tokens, RevokeAll goes on and names each one it could not
// close with a typed error.
func TestRevokeAllReportsPerTokenErrors(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	store := StorePersister(tokenstore.NewMemory(), e.m.ProgramID())
	held, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	require.NoError(t, store.Save(e.ctx, held.Snapshot()))
	keyless, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour})
	require.NoError(t, err)

	res, err := e.m.RevokeAll(e.ctx, RevokeAllParams{Authority: authority.PublicKey(), Persister: store})
	require.ErrorIs(t, err, ErrBadParams)
	var te *TokenRevokeError
	require.True(t, errors.As(err, &te))
	require.Equal(t, keyless.Token(), te.Token)
	require.Len(t, res.Failed, 1)
	require.Len(t, res.Revoked, 1, "the held one is revoked all the same")
	require.Equal(t, held.Token(), res.Revoked[0].Token)
	require.True(t, e.exists(keyless.Token()))

	_, err = e.m.RevokeAll(e.ctx, RevokeAllParams{})
	require.ErrorIs(t, err, ErrBadParams)
}
