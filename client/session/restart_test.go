package session

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// The environment of the first process in TestRestartResumesStoredSession.
const (
	envHelper    = "SESSIONKIT_SESSION_RESTART_HELPER"
	envRPC       = "SESSIONKIT_SESSION_RPC"
	envWS        = "SESSIONKIT_SESSION_WS"
	envStore     = "SESSIONKIT_SESSION_STORE"
	envAuthority = "SESSIONKIT_SESSION_AUTHORITY"
	envGame      = "SESSIONKIT_SESSION_GAME" // gameID is random per process
)

var storeKey = make([]byte, 32) // the store's master key, from a secret manager in real life

// A backend process creates a session, stores it in an encrypted tokenstore through the
// pool, plays two moves and dies without revoking; a new process restores the pool from
// the store and keeps playing with the same ephemeral key.
func TestRestartResumesStoredSession(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	dir := t.TempDir()
	st, err := tokenstore.Create(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	require.NoError(t, st.Close())

	cmd := exec.CommandContext(e.ctx, os.Args[0], "-test.run=^TestRestartHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelper+"=1", envRPC+"="+e.net.RPCURL(), envWS+"="+e.net.WSURL(),
		envStore+"="+dir, envAuthority+"="+hex.EncodeToString(authority), envGame+"="+gameID.String())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "first process:\n%s", out)

	st2, err := tokenstore.Open(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	defer st2.Close()
	pool := NewPool(e.m, PoolConfig{Persister: StorePersister(st2, pda.MagicBlockProgramID), Interval: -1})
	defer pool.Close()
	n, err := pool.Restore(e.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	sess, ok := pool.Get(authority.PublicKey(), gameID)
	require.True(t, ok)
	for range 3 {
		_, err := sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Left)})
		require.NoError(t, err)
	}
	require.Equal(t, examplegame.PlayerAccount{Owner: authority.PublicKey(), X: -3, Y: 2, Moves: 5}, e.playerState(player))
	require.Equal(t, uint64(2_000_000-5*fee), e.balance(sess.SessionSigner()))

	// Revoked elsewhere: a restore drops it from the store.
	_, err = e.m.Revoke(e.ctx, sess, RevokeParams{})
	require.NoError(t, err)
	pool2 := NewPool(e.m, PoolConfig{Persister: StorePersister(st2, pda.MagicBlockProgramID), Interval: -1})
	defer pool2.Close()
	n, err = pool2.Restore(e.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	recs, err := st2.List(e.ctx, tokenstore.Filter{})
	require.NoError(t, err)
	require.Empty(t, recs)
}

// TestRestartHelper is the first backend process of TestRestartResumesStoredSession.
func TestRestartHelper(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("runs only as the first process of TestRestartResumesStoredSession")
	}
	if err := restartHelper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

func restartHelper() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	authority, err := hex.DecodeString(os.Getenv(envAuthority))
	if err != nil {
		return err
	}
	game := examplegame.Game{ID: solana.MustPublicKeyFromBase58(os.Getenv(envGame))}
	client := rpc.New(os.Getenv(envRPC))
	snd, err := sender.New(client, sender.WithWebSocket(os.Getenv(envWS)))
	if err != nil {
		return err
	}
	defer snd.Close()
	st, err := tokenstore.Open(ctx, os.Getenv(envStore), tokenstore.MasterKey(storeKey))
	if err != nil {
		return err
	}
	defer st.Close()
	m := NewManager(client, snd)
	pool := NewPool(m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Interval: -1})
	sess, err := m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: game.ID, TopUp: 2_000_000, ValidFor: time.Hour})
	if err != nil {
		return err
	}
	if _, err := pool.Put(ctx, sess); err != nil {
		return err
	}
	player, err := game.Player(solana.PrivateKey(authority).PublicKey())
	if err != nil {
		return err
	}
	for range 2 {
		if _, err := sess.Send(ctx, []solana.Instruction{game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}); err != nil {
			return err
		}
	}
	return nil // no Close, no revoke: the process just ends
}
