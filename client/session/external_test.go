package session

import (
	"slices"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// A session whose key is elsewhere (a browser's): the create awaits the key's signature
// and the wallet's, moves are prepared with a relay as fee payer, judged by AdmitMove,
// and sent signed by both.
func TestExternalSigner(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(1_000_000_000)
	relay := e.funded(1_000_000_000)
	browserKey := newKey(t) // stands for the browser's CryptoKey: only this test signs with it
	start := e.balance(wallet.PublicKey())

	_, err := e.m.PrepareCreateWith(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true, Seed: &Seed{1}},
		PrepareParams{Signer: browserKey.PublicKey()})
	require.ErrorIs(t, err, ErrBadParams, "a seed with an external signer")

	init, err := e.game.InitPlayer(wallet.PublicKey())
	require.NoError(t, err)
	pending, err := e.m.PrepareCreateWith(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true, ValidFor: time.Hour},
		PrepareParams{Signer: browserKey.PublicKey(), Before: []solana.Instruction{init}})
	require.NoError(t, err)
	s := pending.Session()
	require.True(t, s.External())
	require.Equal(t, browserKey.PublicKey(), s.SessionSigner())
	require.Equal(t, Seed{}, s.Snapshot().Seed, "no key, no seed")
	pool := NewPool(e.m, PoolConfig{Interval: -1})
	defer pool.Close()
	_, err = pool.Put(e.ctx, s)
	require.ErrorIs(t, err, ErrBadParams, "a pool keeps only sessions whose keys it holds")
	tx := pending.Transaction()
	require.Len(t, tx.Signatures, 2)
	require.True(t, tx.Signatures[0].IsZero() && tx.Signatures[1].IsZero(), "the backend signed nothing")

	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), wallet))
	require.ErrorIs(t, err, ErrTampered, "the session key's signature is missing")
	msg, err := tx.Message.MarshalBinary()
	require.NoError(t, err)
	signed := walletSign(t, pending.Bytes(), wallet)
	at := 1 + 64*slices.Index(tx.Message.AccountKeys[:2], browserKey.PublicKey())
	sig := browserKey.Sign(msg)
	copy(signed[at:], sig[:])
	_, err = e.m.SubmitSigned(e.ctx, pending, signed)
	require.NoError(t, err)
	player, err := e.game.Player(wallet.PublicKey())
	require.NoError(t, err)
	require.Equal(t, start-2*fee-e.rentV1-e.rentPlayer, e.balance(wallet.PublicKey()))

	move := []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)}
	bh, err := e.net.RecentBlockhash(e.ctx)
	require.NoError(t, err)
	_, err = s.PrepareMove(e.ctx, bh, move, s.SessionSigner())
	require.ErrorIs(t, err, ErrBadParams, "the signer cannot be the fee payer")
	first, err := s.PrepareMove(e.ctx, bh, move, relay.PublicKey())
	require.NoError(t, err)
	second, err := s.PrepareMove(e.ctx, bh, move, relay.PublicKey())
	require.NoError(t, err)
	require.NotEqual(t, first, second, "the same move twice on one blockhash is varied")

	// A message the guard refuses: AdmitMove says so before anyone co-signs.
	steal, err := txn.CompileLegacy(relay.PublicKey(), bh, move[0], system.NewTransferInstruction(1, s.SessionSigner(), relay.PublicKey()).Build())
	require.NoError(t, err)
	require.ErrorIs(t, s.AdmitMove(e.ctx, steal.Bytes()), guard.ErrForeignProgram)

	for _, m := range [][]byte{first, second} {
		require.NoError(t, s.AdmitMove(e.ctx, m))
		relaySig, err := relay.Sign(m)
		require.NoError(t, err)
		mine := browserKey.Sign(m)
		wire := append(append(append([]byte{2}, relaySig[:]...), mine[:]...), m...)
		tx, err := solana.TransactionFromBytes(wire)
		require.NoError(t, err)
		_, err = s.SendSigned(e.ctx, tx, 1<<62)
		require.NoError(t, err)
	}
	require.Equal(t, examplegame.PlayerAccount{Owner: wallet.PublicKey(), Y: 2, Moves: 2}, e.playerState(player))

	// Revoke with the relay paying: the signer holds nothing, so only the relay signs.
	rv, err := e.m.PrepareRevoke(e.ctx, s, RevokeParams{FeePayer: keyFrom(t, relay)})
	require.NoError(t, err)
	_, err = e.m.SubmitSigned(e.ctx, rv, rv.Bytes())
	require.NoError(t, err)
	require.True(t, s.Revoked())
	require.Equal(t, start-2*fee-e.rentPlayer, e.balance(wallet.PublicKey()), "the rent came back")
	_, err = s.PrepareMove(e.ctx, bh, move, relay.PublicKey())
	require.ErrorIs(t, err, ErrRevoked)
	require.ErrorIs(t, s.AdmitMove(e.ctx, first), ErrRevoked)
}
