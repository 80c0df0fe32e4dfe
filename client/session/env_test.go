package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// env is one integration test's view of the shared cluster.
type env struct {
	t    *testing.T
	ctx  context.Context
	net  *localnet.Net
	rpc  *rpc.Client
	snd  *sender.Sender
	m    *Manager
	game examplegame.Game
	// Rent-exempt minimums, from the cluster.
	rentV1, rentV2, rentPlayer uint64
}

const fee = 5000 // lamports per signature

func newEnv(t *testing.T) *env {
	t.Helper()
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return newEnvWith(t, ctx, net, net.RPC())
}

// newEnvWith builds the Manager and sender over client, which may be a proxy's.
func newEnvWith(t *testing.T, ctx context.Context, net *localnet.Net, client *rpc.Client, opts ...sender.Option) *env {
	t.Helper()
	opts = append([]sender.Option{sender.WithWebSocket(net.WSURL())}, opts...)
	snd, err := sender.New(client, opts...)
	require.NoError(t, err)
	t.Cleanup(snd.Close)
	e := &env{t: t, ctx: ctx, net: net, rpc: client, snd: snd, m: NewManager(client, snd, WithProgramID(localnettest.SessionProgramID())), game: examplegame.Game{ID: gameID}}
	e.rentV1 = e.rent(112)
	e.rentV2 = e.rent(144)
	e.rentPlayer = e.rent(examplegame.PlayerSize)
	return e
}

func (e *env) rent(size uint64) uint64 {
	r, err := e.net.RPC().GetMinimumBalanceForRentExemption(e.ctx, size, rpc.CommitmentConfirmed)
	require.NoError(e.t, err)
	return r
}

// funded is a fresh key holding exactly lamports.
func (e *env) funded(lamports uint64) solana.PrivateKey {
	k, err := e.net.NewFundedKey(e.ctx, lamports)
	require.NoError(e.t, err)
	return k
}

// balance is pk's lamports, 0 for an account that does not exist.
func (e *env) balance(pk solana.PublicKey) uint64 {
	res, err := e.net.RPC().GetBalance(e.ctx, pk, rpc.CommitmentConfirmed)
	require.NoError(e.t, err)
	return res.Value
}

// exists reports whether an account is at pk.
func (e *env) exists(pk solana.PublicKey) bool {
	_, err := e.net.RPC().GetAccountInfoWithOpts(e.ctx, pk, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if errors.Is(err, rpc.ErrNotFound) {
		return false
	}
	require.NoError(e.t, err)
	return true
}

// player creates owner's player account in game, owner paying.
func (e *env) player(game examplegame.Game, owner solana.PrivateKey) solana.PublicKey {
	ix, err := game.InitPlayer(owner.PublicKey())
	require.NoError(e.t, err)
	_, err = e.net.Send(e.ctx, owner, []solana.Instruction{ix})
	require.NoError(e.t, err)
	p, err := game.Player(owner.PublicKey())
	require.NoError(e.t, err)
	return p
}

func (e *env) playerState(player solana.PublicKey) examplegame.PlayerAccount {
	res, err := e.net.RPC().GetAccountInfoWithOpts(e.ctx, player, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	require.NoError(e.t, err)
	p, err := examplegame.DecodePlayer(res.Value.Data.GetBinary())
	require.NoError(e.t, err)
	return *p
}

// warp moves the cluster clock to d after its current time.
func (e *env) warp(d time.Duration) {
	now, err := e.net.ClusterTime(e.ctx)
	require.NoError(e.t, err)
	require.NoError(e.t, e.net.WarpTime(e.ctx, now.Add(d)))
	e.m.clock.forget()
}

// sendUnchecked sends ixs signed by s without the session's own refusals, to see what the
// chain says.
func (e *env) sendUnchecked(s *Session, ixs ...solana.Instruction) error {
	_, err := e.snd.Send(e.ctx, func(bh solana.Hash) ([]byte, error) {
		return s.buildDistinct(bh, ixs, &wrapConfig{}, nil)
	})
	return err
}
