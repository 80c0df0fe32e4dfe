package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
)

func TestListAndGet(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	other := e.funded(1_000_000_000)
	mk := func(who solana.PrivateKey, kind Kind, target solana.PublicKey, d time.Duration) *Session {
		s, err := e.m.Create(e.ctx, who, CreateParams{Kind: kind, Target: target, ValidFor: d})
		require.NoError(t, err)
		return s
	}
	a := mk(authority, KindV1, gameID, 2*time.Hour)
	b := mk(authority, KindV1, gameID, time.Hour)
	c := mk(authority, KindV2, gameID, 3*time.Hour)
	d := mk(authority, KindV2, otherGameID, time.Hour)
	mk(other, KindV1, gameID, time.Hour)

	addrs := func(ts []*Token) []solana.PublicKey {
		out := make([]solana.PublicKey, len(ts))
		for i, t := range ts {
			out[i] = t.Address
		}
		return out
	}
	all, err := e.m.List(e.ctx, authority.PublicKey(), nil)
	require.NoError(t, err)
	require.Equal(t, []solana.PublicKey{b.Token(), a.Token(), d.Token(), c.Token()}, addrs(all))
	onlyGame, err := e.m.List(e.ctx, authority.PublicKey(), &gameID)
	require.NoError(t, err)
	require.Equal(t, []solana.PublicKey{b.Token(), a.Token(), c.Token()}, addrs(onlyGame))
	require.Equal(t, Token{Token: client.Token{Version: pda.V2, Authority: authority.PublicKey(), TargetProgram: gameID,
		SessionSigner: c.Signer(), FeePayer: authority.PublicKey(), ValidUntil: c.ValidUntil()}, Address: c.Token(), Lamports: e.rentV2}, *onlyGame[2])
	none, err := e.m.List(e.ctx, solana.NewWallet().PublicKey(), nil)
	require.NoError(t, err)
	require.Empty(t, none)

	// Get refuses what is not a session token at its own address.
	_, err = e.m.Get(e.ctx, authority.PublicKey())
	require.ErrorIs(t, err, ErrMismatch)
	_, err = e.m.Get(e.ctx, solana.NewWallet().PublicKey())
	require.ErrorIs(t, err, ErrNotFound)

	e.warp(90 * time.Minute)
	all, err = e.m.List(e.ctx, authority.PublicKey(), nil)
	require.NoError(t, err)
	expired := map[solana.PublicKey]bool{}
	for _, tok := range all {
		expired[tok.Address] = tok.Expired
	}
	require.Equal(t, map[solana.PublicKey]bool{a.Token(): false, b.Token(): true, c.Token(): false, d.Token(): true}, expired)
}

// Tokens whose keys are gone can still be revoked, by anyone for V1 and by the authority
// for an active V2 token; the rent goes where the program sends it.
func TestRevokeToken(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	stranger := e.funded(1_000_000_000)
	v1, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, Target: gameID, TopUp: 1_000_000})
	require.NoError(t, err)
	v2, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, Target: gameID})
	require.NoError(t, err)
	authStart, strangerStart := e.balance(authority.PublicKey()), e.balance(stranger.PublicKey())

	_, err = e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{})
	require.ErrorIs(t, err, ErrBadParams)
	res, err := e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{FeePayer: stranger})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, SweptTo: authority.PublicKey(), Fee: fee}, *res)
	require.False(t, e.exists(v1.Token()))
	require.Equal(t, uint64(1_000_000), e.balance(v1.Signer()), "nothing swept without the key")
	require.Equal(t, authStart+e.rentV1, e.balance(authority.PublicKey()))
	require.Equal(t, strangerStart-fee, e.balance(stranger.PublicKey()))

	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{FeePayer: stranger})
	require.ErrorIs(t, err, client.ErrInvalidAuthority)
	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{Authority: authority})
	require.NoError(t, err)
	require.Equal(t, authStart+e.rentV1+e.rentV2-fee, e.balance(authority.PublicKey()))
	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{Authority: authority})
	require.ErrorIs(t, err, ErrNotFound)
}
