package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// injectWorkers is how many surfnet_setAccount calls injectAccounts keeps in flight
// (surfpool answers no JSON-RPC batches).
const injectWorkers = 16

var injectClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: injectWorkers}}

// injectAccounts creates accounts directly in the embedded runtime with surfpool's
// surfnet_setAccount cheatcode: far faster than a transaction each. The calls run
// concurrently, in no particular order.
func injectAccounts(tb testing.TB, ctx context.Context, rpcURL string, accts []injected) {
	tb.Helper()
	errs := make([]error, len(accts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range injectWorkers {
		wg.Go(func() {
			for i := range next {
				errs[i] = setAccount(ctx, rpcURL, accts[i])
			}
		})
	}
	for i := range accts {
		next <- i
	}
	close(next)
	wg.Wait()
	require.NoError(tb, errors.Join(errs...))
}

func setAccount(ctx context.Context, rpcURL string, a injected) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "surfnet_setAccount",
		"params": []any{a.address.String(), map[string]any{
			"lamports": a.lamports, "owner": a.owner.String(), "data": hex.EncodeToString(a.data), "executable": false,
		}}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rpcURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := injectClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return fmt.Errorf("surfnet_setAccount %s: %w", a.address, err)
	}
	if answer.Error != nil {
		return fmt.Errorf("surfnet_setAccount %s: %s", a.address, answer.Error.Message)
	}
	return nil
}

type injected struct {
	address, owner solana.PublicKey
	lamports       uint64
	data           []byte
}

// storedSession makes a V1 session of a fresh key and authority for target: its
// snapshot and the token account the program would have made for it.
func storedSession(tb testing.TB, programID, target solana.PublicKey, validUntil int64, rent uint64) (Snapshot, injected) {
	tb.Helper()
	key, err := txn.GenerateSessionKey(nil)
	require.NoError(tb, err)
	defer key.Zero()
	authority := solana.NewWallet().PublicKey()
	token, _, err := pda.Find(pda.V1, programID, target, key.PublicKey(), authority)
	require.NoError(tb, err)
	data, err := client.SessionToken{Authority: authority, TargetProgram: target, SessionSigner: key.PublicKey(),
		ValidUntil: validUntil}.MarshalBinary()
	require.NoError(tb, err)
	seed := key.Seed()
	defer clear(seed)
	snap := Snapshot{Token: token, SessionSigner: key.PublicKey(), Authority: authority, TargetProgram: target,
		Version: pda.V1, ValidUntil: validUntil, Seed: Seed(seed)}
	return snap, injected{address: token, owner: programID, lamports: rent, data: data}
}

// Restore over several batches of tokens, with live, expired, revoked, missing and
// mismatched ones shuffled together, gives each its verdict: live ones are restored,
// the keys of the others are deleted once their signers are read empty, and a revoked
// token's funded signer is swept back to its authority first. Both a tokenstore (keys
// built by its Get) and a plain Persister (keys built from seeds) are restored alike.
func TestPoolRestoreBatches(t *testing.T) {
	e := newEnv(t)
	now, err := e.m.ClusterTime(e.ctx)
	require.NoError(t, err)
	programID := e.m.ProgramID()
	const live, expired, revoked, missing, mismatched = 170, 60, 3, 30, 10
	const signerFunds = 2_000_000

	for _, store := range []string{"tokenstore", "persister"} {
		t.Run(store, func(t *testing.T) {
			var snaps []Snapshot
			var accts []injected
			want := map[solana.PublicKey]bool{}
			add := func(n int, validUntil int64, f func(Snapshot, injected) (Snapshot, []injected)) {
				for range n {
					snap, acct := storedSession(t, programID, gameID, validUntil, e.rentV1)
					snap, more := f(snap, acct)
					snaps = append(snaps, snap)
					accts = append(accts, more...)
				}
			}
			add(live, now+86_400, func(s Snapshot, a injected) (Snapshot, []injected) {
				want[s.Token] = true
				return s, []injected{a}
			})
			add(expired, now-60, func(s Snapshot, a injected) (Snapshot, []injected) { return s, []injected{a} })
			var sweptTo []solana.PublicKey
			add(revoked, now+86_400, func(s Snapshot, _ injected) (Snapshot, []injected) {
				// Revoked without a sweep: the token is gone, its signer keeps lamports.
				sweptTo = append(sweptTo, s.Authority)
				return s, []injected{{address: s.SessionSigner, owner: solana.SystemProgramID, lamports: signerFunds}}
			})
			add(missing, now+86_400, func(s Snapshot, _ injected) (Snapshot, []injected) { return s, nil })
			add(mismatched, now+86_400, func(s Snapshot, a injected) (Snapshot, []injected) {
				s.ValidUntil++ // the chain says otherwise
				return s, []injected{a}
			})
			injectAccounts(t, e.ctx, e.net.RPCURL(), accts)
			rand.Shuffle(len(snaps), func(i, j int) { snaps[i], snaps[j] = snaps[j], snaps[i] })

			var ps Persister
			var tokens func() map[solana.PublicKey]bool
			if store == "tokenstore" {
				mem := tokenstore.NewMemory()
				t.Cleanup(func() { mem.Close() })
				ps = StorePersister(mem, programID)
				tokens = func() map[solana.PublicKey]bool {
					recs, err := mem.List(e.ctx, tokenstore.Filter{})
					require.NoError(t, err)
					out := map[solana.PublicKey]bool{}
					for _, r := range recs {
						out[r.Token] = true
					}
					return out
				}
			} else {
				mem := newMemStore()
				ps, tokens = mem, mem.tokens
			}
			for _, s := range snaps {
				require.NoError(t, ps.Save(e.ctx, s))
			}

			var log errLog
			pool := NewPool(e.m, PoolConfig{Persister: ps, Interval: -1, OnError: log.add})
			defer pool.Close()
			n, err := pool.Restore(e.ctx)
			require.NoError(t, err)
			require.Equal(t, live, n)
			require.Empty(t, log.all())
			require.Empty(t, pool.Retired())
			require.Equal(t, want, tokens())
			got := map[solana.PublicKey]bool{}
			for _, s := range pool.Sessions() {
				got[s.Token()] = true
			}
			require.Equal(t, want, got)
			for _, a := range sweptTo {
				require.Equal(t, uint64(signerFunds-fee), e.balance(a), "revoked token's signer swept to %s", a)
			}
		})
	}
}

// A restore that cannot read the tokens reports it for every session and keeps them all.
func TestPoolRestoreReadFails(t *testing.T) {
	net := localnettest.ForTest(t)
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "getMultipleAccounts" {
			return faultproxy.Status(http.StatusServiceUnavailable, "")
		}
		return faultproxy.Pass
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnvWith(t, ctx, net, rpc.New(proxy.URL()))
	now, err := e.m.ClusterTime(e.ctx)
	require.NoError(t, err)
	mem := newMemStore()
	const stored = 150 // two batches
	var accts []injected
	for range stored {
		snap, acct := storedSession(t, e.m.ProgramID(), gameID, now+86_400, e.rentV1)
		accts = append(accts, acct)
		require.NoError(t, mem.Save(e.ctx, snap))
	}
	injectAccounts(t, e.ctx, net.RPCURL(), accts)
	pool := NewPool(e.m, PoolConfig{Persister: mem, Interval: -1})
	defer pool.Close()
	n, err := pool.Restore(e.ctx)
	require.ErrorContains(t, err, "session: fetching 100 tokens")
	require.ErrorContains(t, err, "session: fetching 50 tokens")
	var fails int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		require.ErrorContains(t, e, "503")
		fails++
	}
	require.Equal(t, stored, fails)
	require.Zero(t, n)
	require.Empty(t, pool.Sessions())
	require.Len(t, mem.tokens(), stored)
}
