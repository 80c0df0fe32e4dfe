package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
)

func TestListAndGet(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	other := e.funded(1_000_000_000)
	mk := func(who solana.PrivateKey, kind Kind, target solana.PublicKey, d time.Duration) *Session {
		s, err := e.m.Create(e.ctx, who, CreateParams{Kind: kind, TargetProgram: target, ValidFor: d, Unfunded: true})
		require.NoError(t, err)
		return s
	}
	a := mk(authority, KindV1, gameID, 2*time.Hour)
	b := mk(authority, KindV1, gameID, time.Hour)
	c := mk(authority, KindV2, gameID, 3*time.Hour)
	d := mk(authority, KindV2, otherGameID, time.Hour)
	mk(other, KindV1, gameID, time.Hour)

	addrs := func(ts []*TokenStatus) []solana.PublicKey {
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
	require.Equal(t, TokenStatus{TokenAccount: client.TokenAccount{Version: pda.V2, Authority: authority.PublicKey(), TargetProgram: gameID,
		SessionSigner: c.SessionSigner(), FeePayer: authority.PublicKey(), ValidUntil: c.ValidUntil()}, Address: c.Token(), Lamports: e.rentV2}, *onlyGame[2])
	none, err := e.m.List(e.ctx, solana.NewWallet().PublicKey(), nil)
	require.NoError(t, err)
	require.Empty(t, none)

	// Get refuses what is not a session token at its own address.
	_, err = e.m.Get(e.ctx, authority.PublicKey())
	require.ErrorIs(t, err, ErrMismatch)
	_, err = e.m.Get(e.ctx, solana.NewWallet().PublicKey())
	require.ErrorIs(t, err, ErrNotFound)

	// A lookalike (token data off its PDA) fails step c of client.ValidateSessionToken,
	// for Get as for Check; a listing of its authority refuses it the same way.
	_, err = e.m.Get(e.ctx, lookalike)
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorIs(t, err, client.ErrPDAMismatch)
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, lookalike, ve.Token)
	ins, cerr := e.m.Check(e.ctx, lookalike, client.Expected{NoTransaction: true})
	require.ErrorIs(t, cerr, client.ErrPDAMismatch)
	require.Equal(t, ve.Error(), cerr.Error())
	require.Equal(t, lookalikeData.Authority, ins.Token.Authority, "decoded though refused")
	require.Equal(t, pda.MagicBlockProgramID, ins.Account.Owner)
	_, err = e.m.List(e.ctx, lookalikeData.Authority, nil)
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorIs(t, err, client.ErrPDAMismatch)

	// Check judges by what the caller expects, step f included unless NoTransaction.
	ins, cerr = e.m.Check(e.ctx, a.Token(), client.Expected{TargetProgram: otherGameID, NoTransaction: true})
	require.ErrorIs(t, cerr, client.ErrPDAMismatch)
	require.Equal(t, a.Token(), ins.Token.Address)
	_, cerr = e.m.Check(e.ctx, a.Token(), client.Expected{TargetProgram: gameID, SessionSigner: a.SessionSigner(), Authority: authority.PublicKey()})
	require.ErrorIs(t, cerr, client.ErrSignerMissing)
	ins, cerr = e.m.Check(e.ctx, a.Token(), client.Expected{Signers: []solana.PublicKey{a.SessionSigner()}})
	require.NoError(t, cerr)
	require.Equal(t, e.rentV1, ins.Account.Lamports)
	require.Equal(t, client.SessionTokenLen, ins.Account.Len)
	ins, cerr = e.m.Check(e.ctx, solana.NewWallet().PublicKey(), client.Expected{})
	require.ErrorIs(t, cerr, ErrNotFound)
	require.Nil(t, ins.Account)
	require.Nil(t, ins.Token)

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
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	stranger := e.funded(1_000_000_000)
	v1, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000})
	require.NoError(t, err)
	v2, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Unfunded: true})
	require.NoError(t, err)
	authStart, strangerStart := e.balance(authority.PublicKey()), e.balance(stranger.PublicKey())

	_, err = e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{})
	require.ErrorIs(t, err, ErrBadParams)
	res, err := e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{FeePayer: keyFrom(t, stranger)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, SweptTo: authority.PublicKey(), Fee: fee}, withoutFees(t, res))
	require.False(t, e.exists(v1.Token()))
	require.Equal(t, uint64(1_000_000), e.balance(v1.SessionSigner()), "nothing swept without the key")
	require.Equal(t, authStart+e.rentV1, e.balance(authority.PublicKey()))
	require.Equal(t, strangerStart-fee, e.balance(stranger.PublicKey()))

	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{FeePayer: keyFrom(t, stranger)})
	require.ErrorIs(t, err, client.ErrInvalidAuthority)
	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{Authority: keyFrom(t, authority)})
	require.NoError(t, err)
	require.Equal(t, authStart+e.rentV1+e.rentV2-fee, e.balance(authority.PublicKey()))
	_, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{Authority: keyFrom(t, authority)})
	require.ErrorIs(t, err, ErrNotFound)
}

// keyOf is a separate copy of the session's ephemeral key, as a store would hand back.
func keyOf(t *testing.T, s *Session) *txn.SessionKey {
	t.Helper()
	snap := s.Snapshot()
	k, err := txn.NewSessionKey(snap.Seed[:])
	require.NoError(t, err)
	t.Cleanup(k.Zero)
	return k
}

// Expired tokens are out of Resume's reach but not RevokeToken's: with the ephemeral key
// the signer's lamports come back in the same transaction, to the authority for V1 and
// the recorded fee payer for V2, the signer paying the fee unless a FeePayer does.
func TestRevokeTokenExpiredWithKey(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	payer := e.funded(1_000_000_000)
	stranger := e.funded(1_000_000_000)
	v1, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Minute})
	require.NoError(t, err)
	v2, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, payer), TopUp: 2_000_000, ValidFor: time.Minute})
	require.NoError(t, err)
	keyless, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, payer), TopUp: 3_000_000, ValidFor: time.Minute})
	require.NoError(t, err)
	e.warp(2 * time.Minute)
	_, err = e.m.Resume(e.ctx, v1.Snapshot())
	require.ErrorIs(t, err, client.ErrExpired)
	authStart, payerStart, strangerStart := e.balance(authority.PublicKey()), e.balance(payer.PublicKey()), e.balance(stranger.PublicKey())

	_, err = e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{SessionKey: keyOf(t, v2)})
	require.ErrorIs(t, err, ErrMismatch)
	_, err = e.m.Revoke(e.ctx, v1, RevokeParams{SessionKey: keyOf(t, v1)})
	require.ErrorIs(t, err, ErrBadParams)
	zeroed := keyOf(t, v1)
	zeroed.Zero()
	_, err = e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{SessionKey: zeroed})
	require.ErrorIs(t, err, ErrBadParams)
	require.ErrorIs(t, err, txn.ErrKeyZeroed)
	require.True(t, e.exists(v1.Token()))

	res, err := e.m.RevokeToken(e.ctx, v1.Token(), RevokeParams{SessionKey: keyOf(t, v1)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, Swept: 1_000_000 - fee, SweptTo: authority.PublicKey(), Fee: fee}, withoutFees(t, res))
	require.False(t, e.exists(v1.Token()))
	require.Zero(t, e.balance(v1.SessionSigner()))
	require.Equal(t, authStart+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))

	// An expired V2 token needs no authority; with a FeePayer the signer's whole balance
	// moves, and the fee covers both signatures.
	res, err = e.m.RevokeToken(e.ctx, v2.Token(), RevokeParams{SessionKey: keyOf(t, v2), FeePayer: keyFrom(t, stranger)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, Swept: 2_000_000, SweptTo: payer.PublicKey(), Fee: 2 * fee}, withoutFees(t, res))
	require.False(t, e.exists(v2.Token()))
	require.Zero(t, e.balance(v2.SessionSigner()))
	require.Equal(t, payerStart+e.rentV2+2_000_000, e.balance(payer.PublicKey()))
	require.Equal(t, strangerStart-2*fee, e.balance(stranger.PublicKey()))

	// Without the key anyone may still close an expired V2 token; the top-up stays put.
	res, err = e.m.RevokeToken(e.ctx, keyless.Token(), RevokeParams{FeePayer: keyFrom(t, stranger)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, SweptTo: payer.PublicKey(), Fee: fee}, withoutFees(t, res))
	require.False(t, e.exists(keyless.Token()))
	require.Equal(t, uint64(3_000_000), e.balance(keyless.SessionSigner()))
	require.Equal(t, payerStart+2*e.rentV2+2_000_000, e.balance(payer.PublicKey()))
	require.Equal(t, strangerStart-3*fee, e.balance(stranger.PublicKey()))
	require.Equal(t, authStart+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))
}

// An active V2 token revoked with its key still needs the authority's signature; with it
// the signer pays the fee and sweeps the rest, as Manager.Revoke does.
func TestRevokeTokenActiveV2WithKey(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, TopUp: 1_000_000})
	require.NoError(t, err)
	key := keyOf(t, s)

	_, err = e.m.RevokeToken(e.ctx, s.Token(), RevokeParams{SessionKey: key})
	require.ErrorIs(t, err, client.ErrInvalidAuthority)
	require.True(t, e.exists(s.Token()))
	require.Equal(t, uint64(1_000_000), e.balance(s.SessionSigner()))

	authStart := e.balance(authority.PublicKey())
	res, err := e.m.RevokeToken(e.ctx, s.Token(), RevokeParams{SessionKey: key, Authority: keyFrom(t, authority)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, Swept: 1_000_000 - 2*fee, SweptTo: authority.PublicKey(), Fee: 2 * fee}, withoutFees(t, res))
	require.False(t, e.exists(s.Token()))
	require.Zero(t, e.balance(s.SessionSigner()))
	require.Equal(t, authStart+e.rentV2+1_000_000-2*fee, e.balance(authority.PublicKey()))
}
