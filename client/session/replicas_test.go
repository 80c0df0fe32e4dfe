package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
	"github.com/sessionkit/sessionkit/tokenstore/postgres/pgtest"
)

// A replica process is this test binary re-run with these variables set: init runs
// replicaMain instead of the tests.
const (
	envReplica       = "SESSIONKIT_TEST_REPLICA" // the replica's holder name
	envReplicaRPC    = "SESSIONKIT_TEST_REPLICA_RPC"
	envReplicaStore  = "SESSIONKIT_TEST_REPLICA_STORE" // url, schema, hex master key, tab-separated
	envReplicaMoves  = "SESSIONKIT_TEST_REPLICA_MOVES"
	envReplicaTarget = "SESSIONKIT_TEST_REPLICA_GAMES" // the game ids, comma-separated
)

// EnvReplicaSessions overrides how many sessions TestReplicasKill9 runs (default 1,000).
const EnvReplicaSessions = "SESSIONKIT_REPLICA_SESSIONS"

const (
	replicaTopUp    = 1_000_000
	replicaLeaseTTL = 10 * time.Second
)

// Three replica processes share one PostgreSQL store and one cluster: each adopts the
// sessions nobody holds and makes each player's moves; one is killed with SIGKILL
// mid-run. The others take its sessions once its leases expire and finish its players'
// moves; when the cluster clock passes the short sessions' expiry, they revoke and sweep
// them, each exactly once. Counted on chain: every player made exactly its moves, every
// expired token is closed with its rent and top-up back with its authority less exactly
// the fees paid, every live signer holds its top-up less exactly its moves' fees, and
// every live session's key is still in the store.
func TestReplicasKill9(t *testing.T) {
	n := 1000
	if v := os.Getenv(EnvReplicaSessions); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, EnvReplicaSessions)
		n += n % 2
	}
	const moves = 1 // the CI budget: 1,000 sessions, so each makes one move
	begin := time.Now()
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	// Polling confirms faster than the embedded runtime's WebSocket (docs/benchmarks.md).
	e := newEnvWith(t, ctx, net, net.RPC(), sender.WithWebSocket(""), sender.WithPollInterval(10*time.Millisecond),
		sender.WithBlockhashRefresh(200*time.Millisecond))
	url, schema := pgtest.Schema(t)
	masterKey := bytes.Repeat([]byte{0x2a}, 32)
	st, err := postgres.Create(ctx, url, tokenstore.MasterKey(masterKey), postgres.WithSchema(schema))
	require.NoError(t, err)
	defer st.Close()

	// Owners play both games, a session each; one owner in ten has short sessions.
	games := []examplegame.Game{{ID: gameID}, {ID: otherGameID}}
	owners := make([]solana.PrivateKey, n/2)
	for i := range owners {
		owners[i] = solana.NewWallet().PrivateKey
	}
	short := func(owner int) bool { return owner%10 == 0 }
	const ownerFunds = 20_000_000
	rich := e.funded(uint64(len(owners))*ownerFunds + 1_000_000_000)
	parallelErr(t, (len(owners)+19)/20, 8, func(b int) error {
		var ixs []solana.Instruction
		for _, o := range owners[b*20 : min(len(owners), b*20+20)] {
			ixs = append(ixs, system.NewTransferInstruction(ownerFunds, rich.PublicKey(), o.PublicKey()).Build())
		}
		_, err := net.Send(ctx, rich, ixs)
		return err
	})
	players := make([]solana.PublicKey, n) // session i: owner i/2, game i%2
	parallelErr(t, len(owners), 16, func(i int) error {
		var ixs []solana.Instruction
		for g, game := range games {
			ix, err := game.InitPlayer(owners[i].PublicKey())
			if err != nil {
				return err
			}
			ixs = append(ixs, ix)
			if players[2*i+g], err = game.Player(owners[i].PublicKey()); err != nil {
				return err
			}
		}
		_, err := net.Send(ctx, owners[i], ixs)
		return err
	})
	tokens := make([]solana.PublicKey, n)
	signers := make([]solana.PublicKey, n)
	persist := StorePersister(st, pda.MagicBlockProgramID)
	parallelErr(t, n, 32, func(i int) error {
		validFor := 3 * time.Hour
		if short(i / 2) {
			validFor = 30 * time.Minute
		}
		s, err := e.m.Create(ctx, owners[i/2], CreateParams{Kind: KindV1, TargetProgram: games[i%2].ID, TopUp: replicaTopUp, ValidFor: validFor})
		if err != nil {
			return err
		}
		tokens[i], signers[i] = s.Token(), s.SessionSigner()
		err = persist.Save(ctx, s.Snapshot()) // stored, held by nobody: the replicas adopt them
		s.key.Zero()
		return err
	})
	ownerKeys := make([]solana.PublicKey, len(owners))
	for i, o := range owners {
		ownerKeys[i] = o.PublicKey()
	}
	ownersBefore := lamportsOf(t, e, ownerKeys)
	t.Logf("%d sessions of %d owners created and stored in %s", n, len(owners), time.Since(begin).Round(time.Millisecond))

	// Three replicas.
	dir := t.TempDir()
	var names []string
	for _, g := range games {
		names = append(names, g.ID.String())
	}
	replicas := make([]*exec.Cmd, 3)
	for r := range replicas {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			envReplica+"=replica-"+strconv.Itoa(r),
			envReplicaRPC+"="+net.RPCURL(),
			envReplicaStore+"="+url+"\t"+schema+"\t"+hex.EncodeToString(masterKey),
			envReplicaMoves+"="+strconv.Itoa(moves),
			envReplicaTarget+"="+strings.Join(names, ","),
		)
		logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("replica-%d.log", r)))
		require.NoError(t, err)
		defer logFile.Close()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		require.NoError(t, cmd.Start())
		replicas[r] = cmd
		defer func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}()
	}
	dumpLogs := func() {
		for r := range replicas {
			b, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("replica-%d.log", r)))
			t.Logf("replica-%d log (tail):\n%s", r, tail(string(b), 3000))
		}
	}
	movesMade := func() (total uint64, each []uint64) {
		for _, p := range accountsOf(t, e, players) {
			var m uint64
			if p != nil {
				pl, err := examplegame.DecodePlayer(p.Data.GetBinary())
				require.NoError(t, err)
				m = pl.Moves
			}
			each = append(each, m)
			total += m
		}
		return total, each
	}
	waitFor := func(what string, timeout time.Duration, done func() bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !done() {
			if time.Now().After(deadline) {
				dumpLogs()
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	// Kill one replica a third of the way through the moves.
	target := uint64(n * moves)
	waitFor("a third of the moves", 2*time.Minute, func() bool { total, _ := movesMade(); return total >= target/3 })
	require.NoError(t, replicas[0].Process.Signal(syscall.SIGKILL))
	_ = replicas[0].Wait()
	total, _ := movesMade()
	t.Logf("killed replica-0 after %d of %d moves, at %s", total, target, time.Since(begin).Round(time.Millisecond))
	waitFor("every move", 3*time.Minute, func() bool { total, _ := movesMade(); return total >= target })
	t.Logf("every move made at %s", time.Since(begin).Round(time.Millisecond))

	// Expire the short sessions: the replicas revoke and sweep them, the dead one's too.
	e.warp(time.Hour)
	var shortTokens []solana.PublicKey
	for i := range n {
		if short(i / 2) {
			shortTokens = append(shortTokens, tokens[i])
		}
	}
	waitFor("the expired sessions' revokes", 2*time.Minute, func() bool {
		for _, a := range accountsOf(t, e, shortTokens) {
			if a != nil {
				return false
			}
		}
		recs, err := st.List(ctx, tokenstore.Filter{})
		require.NoError(t, err)
		return len(recs) == n-len(shortTokens)
	})
	t.Logf("expired sessions revoked at %s", time.Since(begin).Round(time.Millisecond))
	for _, r := range replicas[1:] {
		require.NoError(t, r.Process.Signal(syscall.SIGTERM))
	}
	for _, r := range replicas[1:] {
		require.NoError(t, r.Wait(), "a replica stops cleanly on SIGTERM")
	}

	// No move lost or doubled.
	total, each := movesMade()
	require.Equal(t, target, total)
	for i, m := range each {
		require.Equal(t, uint64(moves), m, "player of session %d", i)
	}
	// No key lost: every live session is in the store with its key; its signer holds
	// its top-up less its moves' fees, and its owner's balance did not move.
	signerLamports := lamportsOf(t, e, signers)
	ownersAfter := lamportsOf(t, e, ownerKeys)
	for i := range n {
		if short(i / 2) {
			continue
		}
		_, key, err := st.Get(ctx, tokens[i])
		require.NoError(t, err, "session %d", i)
		require.Equal(t, signers[i], key.PublicKey())
		key.Zero()
		require.Equal(t, uint64(replicaTopUp-moves*fee), signerLamports[i], "signer of session %d", i)
	}
	// Every expired session revoked once: its owner got both sessions' rent and top-ups
	// back less the moves and exactly one revoke fee each, and the signers are empty.
	for o := range owners {
		want := ownersBefore[o]
		if short(o) {
			want += 2 * (e.rentV1 + replicaTopUp - moves*fee - fee)
			require.Zero(t, signerLamports[2*o]+signerLamports[2*o+1], "owner %d's signers were swept", o)
		}
		require.Equal(t, want, ownersAfter[o], "owner %d", o)
	}
	leases, err := st.Leases(ctx)
	require.NoError(t, err)
	require.Empty(t, leases, "the live replicas released their leases; the dead one's were taken")
}

// parallelErr runs f(0..n-1) on at most workers goroutines and fails t on the first error.
func parallelErr(t *testing.T, n, workers int, f func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || errs[w] != nil {
					return
				}
				if err := f(i); err != nil {
					errs[w] = fmt.Errorf("item %d: %w", i, err)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// accountsOf reads accounts at confirmed, 100 to a request; a missing one is nil.
func accountsOf(t *testing.T, e *env, keys []solana.PublicKey) []*rpc.Account {
	t.Helper()
	var out []*rpc.Account
	for i := 0; i < len(keys); i += 100 {
		res, err := e.net.RPC().GetMultipleAccountsWithOpts(e.ctx, keys[i:min(len(keys), i+100)], &rpc.GetMultipleAccountsOpts{Commitment: rpc.CommitmentConfirmed})
		require.NoError(t, err)
		out = append(out, res.Value...)
	}
	return out
}

func lamportsOf(t *testing.T, e *env, keys []solana.PublicKey) []uint64 {
	t.Helper()
	var out []uint64
	for _, a := range accountsOf(t, e, keys) {
		var l uint64
		if a != nil {
			l = a.Lamports
		}
		out = append(out, l)
	}
	return out
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// A replica process never reaches TestMain: it is not a test run, and must not start a
// cluster of its own.
func init() {
	if os.Getenv(envReplica) != "" {
		os.Exit(replicaMain())
	}
}

// replicaMain is one replica: it adopts sessions nobody holds, makes each one's moves up
// to the count its player's account shows, and maintains the pool (leases, expiry,
// revokes) until SIGTERM, when it closes the pool, releasing its leases.
func replicaMain() int {
	holder := os.Getenv(envReplica)
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, holder+": "+format+"\n", args...) }
	if err := runReplica(holder, logf); err != nil {
		logf("%v", err)
		return 1
	}
	return 0
}

func runReplica(holder string, logf func(string, ...any)) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// A test that dies (a timeout's panic) cannot stop its replicas: they stop when
	// they find themselves orphaned.
	go func(parent int) {
		for os.Getppid() == parent {
			time.Sleep(time.Second)
		}
		logf("the test is gone; exiting")
		os.Exit(2)
	}(os.Getppid())
	url, rest, _ := strings.Cut(os.Getenv(envReplicaStore), "\t")
	schema, keyHex, _ := strings.Cut(rest, "\t")
	masterKey, err := hex.DecodeString(keyHex)
	if err != nil {
		return err
	}
	moves, err := strconv.ParseUint(os.Getenv(envReplicaMoves), 10, 64)
	if err != nil {
		return err
	}
	m, err := Dial(ctx, os.Getenv(envReplicaRPC), WithProgramID(localnettest.SessionProgramID()), WithWebSocketURL(""),
		WithSenderOptions(sender.WithPollInterval(10*time.Millisecond), sender.WithBlockhashRefresh(200*time.Millisecond)))
	if err != nil {
		return err
	}
	defer m.Close()
	st, err := postgres.Open(ctx, url, tokenstore.MasterKey(masterKey), postgres.WithSchema(schema))
	if err != nil {
		return err
	}
	defer st.Close()
	pool := NewPool(m, PoolConfig{
		Persister: StorePersister(st, pda.MagicBlockProgramID), Leases: st, Holder: holder,
		Interval: -1, LeaseTTL: replicaLeaseTTL, RevokeExpired: true, Workers: 8,
		OnError: func(s *Session, err error) { logf("pool: %v", err) },
	})
	var wg sync.WaitGroup
	// Maintenance (lease renewals first) runs on its own, so that moves and adoption
	// never delay a renewal past the TTL.
	wg.Go(func() {
		for ctx.Err() == nil {
			start := time.Now()
			if err := pool.Maintain(ctx); err != nil && ctx.Err() == nil {
				logf("maintain: %v", err)
			}
			if d := time.Since(start); d > replicaLeaseTTL/4 {
				logf("slow maintenance: %s for %d sessions", d, pool.Len())
			}
			select {
			case <-ctx.Done():
			case <-time.After(replicaLeaseTTL / 5):
			}
		}
	})
	var busy sync.Map // *Session → struct{}: its moves are being made or are done
	sem := make(chan struct{}, 16)
	for ctx.Err() == nil {
		if _, err := pool.Adopt(ctx, AdoptParams{Limit: 25}); err != nil && ctx.Err() == nil {
			logf("adopt: %v", err)
		}
		for _, s := range pool.Sessions() {
			if _, started := busy.LoadOrStore(s, struct{}{}); started {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := replicaMoves(ctx, m, s, moves); err != nil && ctx.Err() == nil {
					logf("moves of %s: %v", s.Token(), err)
					busy.Delete(s) // the next pass tries again
				}
			})
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	wg.Wait()
	return pool.Close()
}

// replicaMoves makes s's moves until its player's account shows want: the count on
// chain, read after this replica took the lease, is where a killed holder left off.
func replicaMoves(ctx context.Context, m *Manager, s *Session, want uint64) error {
	game := examplegame.Game{ID: s.TargetProgram()}
	player, err := game.Player(s.Authority())
	if err != nil {
		return err
	}
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, player, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if err != nil {
		return err
	}
	p, err := examplegame.DecodePlayer(res.Value.Data.GetBinary())
	if err != nil {
		return err
	}
	for range want - min(want, p.Moves) {
		if _, err := s.Send(ctx, []solana.Instruction{game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)}); err != nil {
			return err
		}
	}
	return nil
}
