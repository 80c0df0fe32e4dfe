package session

import (
	"encoding/base64"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The wallet flow: the server prepares, the wallet signs once, the server verifies and
// submits; a tampered transaction is refused and nothing lands.
func TestExternalWallet(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	wallet := e.funded(1_000_000_000) // its key is used only by walletSign, as in a browser
	player := e.player(e.game, wallet)
	start := e.balance(wallet.PublicKey())

	pending, err := e.m.PrepareCreate(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	require.Equal(t, wallet.PublicKey(), pending.Wallet())
	wire, err := base64.StdEncoding.DecodeString(pending.Base64())
	require.NoError(t, err)
	require.Equal(t, pending.Bytes(), wire)

	// A wallet that raises the top-up and signs: refused before anything is sent.
	tx := pending.Transaction()
	data := tx.Message.Instructions[0].Data
	binary.LittleEndian.PutUint64(data[len(data)-8:], 900_000_000)
	tampered, err := tx.MarshalBinary()
	require.NoError(t, err)
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, tampered, wallet))
	require.ErrorIs(t, err, ErrTampered)
	require.False(t, e.exists(pending.Session().Token()))
	require.Equal(t, start, e.balance(wallet.PublicKey()))

	_, err = pending.Session().Send(e.ctx, []solana.Instruction{e.game.Move(player, pending.Session().SessionSigner(), pending.Session().Token(), examplegame.Up)})
	require.ErrorIs(t, err, ErrNotFound, "no moves before the wallet's transaction landed")

	// The honest signature lands.
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, wire, wallet))
	require.NoError(t, err)
	sess := pending.Session()
	require.Equal(t, start-e.rentV1-3_000_000-2*fee, e.balance(wallet.PublicKey()))
	require.Equal(t, uint64(3_000_000), e.balance(sess.SessionSigner()))
	for _, d := range []examplegame.Direction{examplegame.Up, examplegame.Up, examplegame.Up} {
		_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), d)})
		require.NoError(t, err)
	}
	require.Equal(t, examplegame.PlayerAccount{Owner: wallet.PublicKey(), Y: 3, Moves: 3}, e.playerState(player))
}

// A backend-sponsored V2 session with the wallet signing once to create and once to
// revoke while active.
func TestExternalWalletV2SponsoredRevoke(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	wallet := e.funded(1_000_000_000)
	sponsor := e.funded(1_000_000_000)
	start := e.balance(wallet.PublicKey())

	pending, err := e.m.PrepareCreate(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV2, TargetProgram: gameID, Payer: keyFrom(t, sponsor), TopUp: 1_000_000})
	require.NoError(t, err)
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), wallet))
	require.NoError(t, err)
	sess := pending.Session()
	require.Equal(t, start, e.balance(wallet.PublicKey()), "the sponsor pays everything")
	sponsorAfter := uint64(1_000_000_000) - e.rentV2 - 1_000_000 - 3*fee
	require.Equal(t, sponsorAfter, e.balance(sponsor.PublicKey()))

	revoke, err := e.m.PrepareRevoke(e.ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, wallet.PublicKey(), revoke.Wallet())
	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(solana.PublicKey{}, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.ErrorIs(t, err, ErrRevoked, "no moves once the revoke is prepared")

	_, err = e.m.SubmitSigned(e.ctx, revoke, revoke.Bytes())
	require.ErrorIs(t, err, ErrTampered, "unsigned by the wallet")
	_, err = e.m.SubmitSigned(e.ctx, revoke, walletSign(t, revoke.Bytes(), wallet))
	require.NoError(t, err)
	require.True(t, sess.Revoked())
	require.False(t, e.exists(sess.Token()))
	require.False(t, e.exists(sess.SessionSigner()))
	require.Equal(t, sponsorAfter+e.rentV2+1_000_000-2*fee, e.balance(sponsor.PublicKey()))
	require.Equal(t, start, e.balance(wallet.PublicKey()))
}

// A wallet that signs after the blockhash expired: the submit fails clearly, nothing
// lands, and preparing again works.
func TestExternalWalletTooSlow(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(1_000_000_000)
	start := e.balance(wallet.PublicKey())
	pending, err := e.m.PrepareCreate(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true})
	require.NoError(t, err)
	// The player goes for coffee while the cluster makes blocks (one per transaction here).
	sink := solana.NewWallet().PublicKey()
	amount := uint64(1_000_000)
	for {
		h, err := e.net.RPC().GetBlockHeight(e.ctx, rpc.CommitmentConfirmed)
		require.NoError(t, err)
		if h > pending.LastValidBlockHeight() {
			break
		}
		var wg sync.WaitGroup
		for range 20 {
			amount++ // distinct transfers, or the cluster would see one transaction
			lamports := amount
			wg.Go(func() { require.NoError(t, e.net.Fund(e.ctx, sink, lamports)) })
		}
		wg.Wait()
	}
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), wallet))
	require.ErrorIs(t, err, sender.ErrBlockhashExpired)
	require.False(t, e.exists(pending.Session().Token()))
	require.Equal(t, start, e.balance(wallet.PublicKey()))

	pending, err = e.m.PrepareCreate(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true})
	require.NoError(t, err)
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), wallet))
	require.NoError(t, err)
	require.True(t, e.exists(pending.Session().Token()))
}
