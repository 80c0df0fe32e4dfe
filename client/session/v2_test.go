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
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// V2: a sponsor pays; an active token needs the authority to revoke; an expired one may be
// revoked by anyone; rent and swept lamports go to the sponsor.
func TestV2RevokeRules(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	sponsor := e.funded(1_000_000_000)
	stranger := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	authorityStart := e.balance(authority.PublicKey())

	sess, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, sponsor), TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	// Sponsor, authority and ephemeral key sign; the sponsor pays everything.
	sponsorAfter := uint64(1_000_000_000) - e.rentV2 - 5_000_000 - 3*fee
	require.Equal(t, sponsorAfter, e.balance(sponsor.PublicKey()))
	require.Equal(t, authorityStart, e.balance(authority.PublicKey()))
	require.Equal(t, uint64(5_000_000), e.balance(sess.SessionSigner()))
	tok, err := e.m.Get(e.ctx, sess.Token())
	require.NoError(t, err)
	require.Equal(t, pda.V2, tok.Version)
	require.Equal(t, sponsor.PublicKey(), tok.FeePayer)
	require.Equal(t, sponsor.PublicKey(), sess.FeePayer())

	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)})
	require.NoError(t, err)

	// Active, without the authority's signature: InvalidAuthority in preflight, nothing
	// charged, and the session keeps working. Whoever pays the fee makes no difference.
	strangerStart := e.balance(stranger.PublicKey())
	_, err = e.m.Revoke(e.ctx, sess, RevokeParams{FeePayer: keyFrom(t, stranger)})
	require.ErrorIs(t, err, client.ErrInvalidAuthority)
	require.Equal(t, strangerStart, e.balance(stranger.PublicKey()))
	_, err = e.m.Revoke(e.ctx, sess, RevokeParams{})
	require.ErrorIs(t, err, client.ErrInvalidAuthority)
	require.False(t, sess.Revoked())
	require.Equal(t, uint64(5_000_000-fee), e.balance(sess.SessionSigner()))
	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)})
	require.NoError(t, err)

	// With the authority's signature; the ephemeral key pays for both signatures.
	res, err := e.m.Revoke(e.ctx, sess, RevokeParams{Authority: keyFrom(t, authority)})
	require.NoError(t, err)
	require.Equal(t, RevokeResult{Signature: res.Signature, Swept: 5_000_000 - 2*fee - 2*fee, SweptTo: sponsor.PublicKey(), Fee: 2 * fee}, withoutFees(t, res))
	require.Equal(t, sponsorAfter+e.rentV2+res.Swept, e.balance(sponsor.PublicKey()))
	require.Equal(t, authorityStart, e.balance(authority.PublicKey()))
	require.False(t, e.exists(sess.SessionSigner()))
	require.False(t, e.exists(sess.Token()))
	sponsorAfter += e.rentV2 + res.Swept

	// Expired: anyone may revoke, here a stranger paying the fee; the sponsor gets the rent
	// and the whole ephemeral balance.
	short, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, sponsor), TopUp: 2_000_000, ValidFor: 10 * time.Minute})
	require.NoError(t, err)
	sponsorAfter -= e.rentV2 + 2_000_000 + 3*fee
	e.warp(11 * time.Minute)
	res, err = e.m.Revoke(e.ctx, short, RevokeParams{FeePayer: keyFrom(t, stranger)})
	require.NoError(t, err)
	require.Equal(t, uint64(2_000_000), res.Swept)
	require.Equal(t, uint64(2*fee), res.Fee)
	require.Equal(t, strangerStart-2*fee, e.balance(stranger.PublicKey()))
	require.Equal(t, sponsorAfter+e.rentV2+2_000_000, e.balance(sponsor.PublicKey()))
	require.False(t, e.exists(short.SessionSigner()))
	require.Equal(t, authorityStart, e.balance(authority.PublicKey()))
}

// create_session_with_payer: the payer pays, the authority gets rent and sweep back.
func TestWithPayerRentGoesToAuthority(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionWithPayer)
	authority := e.funded(1_000_000_000)
	payer := e.funded(1_000_000_000)
	sess, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1WithPayer, TargetProgram: gameID, Payer: keyFrom(t, payer), TopUp: 1_000_000})
	require.NoError(t, err)
	require.Equal(t, uint64(1_000_000_000)-e.rentV1-1_000_000-3*fee, e.balance(payer.PublicKey()))
	require.Equal(t, uint64(1_000_000_000), e.balance(authority.PublicKey()))
	res, err := e.m.Revoke(e.ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, authority.PublicKey(), res.SweptTo)
	require.Equal(t, uint64(1_000_000_000)+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))
	require.False(t, e.exists(sess.SessionSigner()))
}

// A sponsored V2 session without top-up: the sponsor pays every move's fee, the ephemeral
// key only signs and never holds lamports.
func TestSponsorPaysMoves(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	sponsor := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, sponsor), Unfunded: true})
	require.NoError(t, err)
	sponsorKey, err := txn.SessionKeyFromPrivateKey(sponsor)
	require.NoError(t, err)
	afterCreate := e.balance(sponsor.PublicKey())
	require.Equal(t, uint64(1_000_000_000)-e.rentV2-3*fee, afterCreate)

	for range 5 {
		_, err := sess.SendWith(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}, MoveParams{Payer: sponsorKey})
		require.NoError(t, err)
	}
	require.Equal(t, uint64(5), e.playerState(player).Moves)
	require.Equal(t, afterCreate-5*2*fee, e.balance(sponsor.PublicKey()))
	require.False(t, e.exists(sess.SessionSigner()))

	// Nothing to sweep and nothing to pay with: the revoke needs a fee payer.
	_, err = e.m.Revoke(e.ctx, sess, RevokeParams{Authority: keyFrom(t, authority)})
	require.ErrorIs(t, err, ErrNoSweep)
	res, err := e.m.Revoke(e.ctx, sess, RevokeParams{Authority: keyFrom(t, authority), FeePayer: keyFrom(t, sponsor)})
	require.NoError(t, err)
	require.Zero(t, res.Swept)
	require.Equal(t, afterCreate-5*2*fee-2*fee+e.rentV2, e.balance(sponsor.PublicKey()))
}
