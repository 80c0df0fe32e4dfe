package sender_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/internal/syncbuf"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

func TestMain(m *testing.M) { os.Exit(localnettest.RunMain(m)) }

const (
	fee         = 5000 // lamports per signature
	payerFunds  = 10 * solana.LAMPORTS_PER_SOL
	baseAmount  = 1_000_000 // above the rent-exempt minimum of an empty account
	testTimeout = time.Minute
)

// fastRetry keeps fault tests short; ten attempts make a spurious exhaustion under the
// injected fault rates vanishingly unlikely.
var fastRetry = sender.RetryPolicy{MaxAttempts: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond}

var (
	tooMany     = faultproxy.Status(http.StatusTooManyRequests, "0")
	unavailable = faultproxy.Status(http.StatusServiceUnavailable, "")
	// slow answers after the 300ms request timeout TestSendFaults sets.
	slow = faultproxy.DelayAnswer(600 * time.Millisecond)
)

func newSender(t *testing.T, rpcURL string, opts ...sender.Option) *sender.Sender {
	t.Helper()
	base := []sender.Option{
		sender.WithRetryPolicy(fastRetry),
		sender.WithPollInterval(100 * time.Millisecond),
		sender.WithBlockhashRefresh(250 * time.Millisecond),
		sender.WithRequestTimeout(2 * time.Second),
	}
	s, err := sender.New(sender.NewRPCClient(rpcURL, nil), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// transfer is one action: move lamports from a payer to a fresh recipient, so the
// recipient's balance says how often the action was applied.
type transfer struct {
	from     solana.PrivateKey
	to       solana.PublicKey
	lamports uint64
}

// build is tx in wire form.
func (tr transfer) build(h solana.Hash) ([]byte, error) {
	tx, err := tr.tx(h)
	if err != nil {
		return nil, err
	}
	return tx.MarshalBinary()
}

// tx makes new instructions on every call: solana.NewTransaction writes into them.
func (tr transfer) tx(h solana.Hash) (*solana.Transaction, error) {
	ix := system.NewTransferInstruction(tr.lamports, tr.from.PublicKey(), tr.to).Build()
	tx, err := solana.NewTransaction([]solana.Instruction{ix}, h, solana.TransactionPayer(tr.from.PublicKey()))
	if err != nil {
		return nil, err
	}
	_, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey {
		if pk == tr.from.PublicKey() {
			return &tr.from
		}
		return nil
	})
	return tx, err
}

func fundPayers(t *testing.T, n *localnet.Net, count int) []solana.PrivateKey {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	keys := make([]solana.PrivateKey, count)
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = n.NewFundedKey(ctx, payerFunds) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	return keys
}

// plan gives each payer perPayer transfers of distinct amounts to fresh recipients.
func plan(payers []solana.PrivateKey, perPayer int) [][]transfer {
	out := make([][]transfer, len(payers))
	for i, p := range payers {
		for j := range perPayer {
			out[i] = append(out[i], transfer{from: p, to: solana.NewWallet().PublicKey(),
				lamports: baseAmount + uint64(i*perPayer+j)*1000})
		}
	}
	return out
}

type outcome struct {
	tr  transfer
	res *sender.Result
	err error
}

// run sends every payer's transfers in its own goroutine, one after another.
func run(ctx context.Context, s *sender.Sender, work [][]transfer) []outcome {
	var mu sync.Mutex
	var out []outcome
	var wg sync.WaitGroup
	for _, trs := range work {
		wg.Go(func() {
			for _, tr := range trs {
				res, err := s.Send(ctx, tr.build)
				mu.Lock()
				out = append(out, outcome{tr, res, err})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// balances reads lamports of keys at confirmed commitment; a missing account has 0.
func balances(t *testing.T, client *rpc.Client, keys []solana.PublicKey) map[solana.PublicKey]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out := make(map[solana.PublicKey]uint64, len(keys))
	for i := 0; i < len(keys); i += 100 {
		chunk := keys[i:min(i+100, len(keys))]
		res, err := client.GetMultipleAccountsWithOpts(ctx, chunk, &rpc.GetMultipleAccountsOpts{Commitment: rpc.CommitmentConfirmed})
		require.NoError(t, err)
		for j, acc := range res.Value {
			if acc != nil {
				out[chunk[j]] = acc.Lamports
			} else {
				out[chunk[j]] = 0
			}
		}
	}
	return out
}

// checkExactlyOnce asserts that every successful action landed exactly once and every
// failed one not at all (or, for ErrOutcomeUnknown, at most once), using balances:
// recipients hold their amount or nothing, payers lost exactly the landed amounts and
// one fee per landed transaction.
func checkExactlyOnce(t *testing.T, client *rpc.Client, outs []outcome) {
	t.Helper()
	var keys []solana.PublicKey
	payers := map[solana.PublicKey]bool{}
	for _, o := range outs {
		keys = append(keys, o.tr.to)
		if !payers[o.tr.from.PublicKey()] {
			payers[o.tr.from.PublicKey()] = true
			keys = append(keys, o.tr.from.PublicKey())
		}
	}
	bal := balances(t, client, keys)
	spent := map[solana.PublicKey]uint64{}
	for _, o := range outs {
		got := bal[o.tr.to]
		switch {
		case o.err == nil:
			assert.Equal(t, o.tr.lamports, got, "recipient of a successful send must hold its amount once")
		case errors.Is(o.err, sender.ErrOutcomeUnknown):
			assert.Contains(t, []uint64{0, o.tr.lamports}, got, "an unknown outcome still lands at most once: %v", o.err)
		default:
			assert.Zero(t, got, "a failed send must not have landed: %v", o.err)
		}
		if got > 0 {
			spent[o.tr.from.PublicKey()] += got + fee
		}
	}
	for p := range payers {
		assert.Equal(t, payerFunds-spent[p], bal[p], "payer %s", p)
	}
}

func requireAllLanded(t *testing.T, outs []outcome) {
	t.Helper()
	for _, o := range outs {
		require.NoError(t, o.err)
		require.NotNil(t, o.res)
		assert.False(t, o.res.Signature.IsZero())
		assert.NotZero(t, o.res.Slot)
		assert.GreaterOrEqual(t, o.res.Signings, 1)
		assert.GreaterOrEqual(t, o.res.Sends, 1)
	}
}

func TestSendConcurrent(t *testing.T) {
	n := localnettest.ForTest(t)
	tests := []struct {
		name             string
		payers, perPayer int
		opts             []sender.Option
	}{
		{"websocket", 20, 10, []sender.Option{sender.WithWebSocket(n.WSURL())}},
		{"polling", 10, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			s := newSender(t, n.RPCURL(), tt.opts...)
			outs := run(ctx, s, plan(fundPayers(t, n, tt.payers), tt.perPayer))
			require.Len(t, outs, tt.payers*tt.perPayer)
			requireAllLanded(t, outs)
			checkExactlyOnce(t, n.RPC(), outs)
		})
	}
}

func TestSendFaults(t *testing.T) {
	n := localnettest.ForTest(t)
	every := func(k int, f faultproxy.Fault) faultproxy.Rule {
		return func(c faultproxy.Call) faultproxy.Fault {
			if c.NthMethod%k == 0 {
				return f
			}
			return faultproxy.Pass
		}
	}
	firstSend := func(f faultproxy.Fault) faultproxy.Rule {
		return func(c faultproxy.Call) faultproxy.Fault {
			if c.Method == "sendTransaction" && c.NthSig == 1 {
				return f
			}
			return faultproxy.Pass
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		rule   faultproxy.Rule
		expect faultproxy.Fault // must have been injected at least once
	}{
		{"429 on every third request", every(3, tooMany), tooMany},
		{"503 on every third request", every(3, unavailable), unavailable},
		{"first send forwarded, answer dropped", firstSend(faultproxy.Drop), faultproxy.Drop},
		{"first send forwarded, connection hung up", firstSend(faultproxy.HangUp), faultproxy.HangUp},
		{"first send forwarded, answer after the timeout", firstSend(slow), slow},
		{"first send forwarded and dropped, resends refused", func(c faultproxy.Call) faultproxy.Fault {
			switch {
			case c.Method != "sendTransaction":
				return faultproxy.Pass
			case c.NthSig == 1:
				return faultproxy.Drop
			default:
				return unavailable
			}
		}, faultproxy.Drop},
		{"a fifth of all requests fail at random", func(faultproxy.Call) faultproxy.Fault {
			if rng.IntN(5) == 0 {
				return []faultproxy.Fault{tooMany, unavailable, faultproxy.Drop, faultproxy.HangUp, slow}[rng.IntN(5)]
			}
			return faultproxy.Pass
		}, faultproxy.Drop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payers := fundPayers(t, n, 6)
			proxy := faultproxy.New(t, n.RPCURL(), tt.rule)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			s := newSender(t, proxy.URL(), sender.WithWebSocket(n.WSURL()),
				sender.WithRequestTimeout(300*time.Millisecond))
			outs := run(ctx, s, plan(payers, 3))
			assert.Positive(t, proxy.Count(tt.expect), "fault %v never injected", tt.expect)
			requireAllLanded(t, outs)
			checkExactlyOnce(t, n.RPC(), outs)
		})
	}
}

// TestSendResendsAfterDroppedAnswer pins down the dangerous case: the cluster executed
// the transaction but the answer was lost. The sender must resend the same bytes (never
// re-sign) and report the first signature.
func TestSendResendsAfterDroppedAnswer(t *testing.T) {
	n := localnettest.ForTest(t)
	payer := fundPayers(t, n, 1)[0]
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "sendTransaction" && c.NthSig <= 2 {
			return faultproxy.Drop
		}
		return faultproxy.Pass
	})
	s := newSender(t, proxy.URL())
	tr := plan([]solana.PrivateKey{payer}, 1)[0][0]
	var built []solana.Signature
	res, err := s.Send(context.Background(), func(h solana.Hash) ([]byte, error) {
		wire, err := tr.build(h)
		if err == nil {
			built = append(built, solana.Signature(wire[1:65]))
		}
		return wire, err
	})
	require.NoError(t, err)
	assert.Equal(t, []solana.Signature{res.Signature}, built, "one signing only")
	assert.Equal(t, 1, res.Signings)
	assert.GreaterOrEqual(t, res.Sends, 3)
	assert.Equal(t, 2, proxy.Count(faultproxy.Drop))
	checkExactlyOnce(t, n.RPC(), []outcome{{tr, res, err}})
}

func TestSendStaleBlockhash(t *testing.T) {
	n := localnettest.ForTest(t)
	tests := []struct {
		name string
		opts []sender.Option
	}{
		// Preflight refuses the unknown blockhash outright: re-sign at once.
		{"preflight", nil},
		// The node accepts and the transaction is silently dropped: re-sign once the
		// block height is past its last valid height and no status shows up.
		{"skip preflight", []sender.Option{sender.WithSkipPreflight(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			height, err := n.RPC().GetBlockHeight(ctx, rpc.CommitmentConfirmed)
			require.NoError(t, err)
			// A blockhash the cluster never had, already past its last valid height.
			stale := faultproxy.RewriteBlockhash(solana.Hash{0x5e, 0xa1}, height-1)
			proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
				if c.Method == "getLatestBlockhash" && c.NthMethod == 1 {
					return stale
				}
				return faultproxy.Pass
			})
			s := newSender(t, proxy.URL(), append(tt.opts, sender.WithBlockhashRefresh(time.Hour))...)
			tr := plan(fundPayers(t, n, 1), 1)[0][0]
			res, err := s.Send(ctx, tr.build)
			require.NoError(t, err)
			assert.Equal(t, 2, res.Signings)
			assert.Equal(t, 1, proxy.Count(stale))
			checkExactlyOnce(t, n.RPC(), []outcome{{tr, res, err}})
		})
	}
}

// TestSendExpiresAndResigns blackholes the first transaction of each action, as a
// leader dropping it would. Its real blockhash has to age out (about 150 blocks) before
// the sender may sign a second one; that one lands, and only that one.
func TestSendExpiresAndResigns(t *testing.T) {
	n := localnettest.ForTest(t)
	const actions = 3
	var mu sync.Mutex
	doomed := map[solana.Signature]bool{}
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method != "sendTransaction" {
			return faultproxy.Pass
		}
		mu.Lock()
		defer mu.Unlock()
		if c.NthSig == 1 && len(doomed) < actions {
			doomed[c.Sig] = true
		}
		if doomed[c.Sig] {
			return faultproxy.Blackhole
		}
		return faultproxy.Pass
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := newSender(t, proxy.URL(), sender.WithWebSocket(n.WSURL()),
		sender.WithRebroadcastInterval(500*time.Millisecond))
	outs := run(ctx, s, plan(fundPayers(t, n, actions), 1))
	requireAllLanded(t, outs)
	for _, o := range outs {
		assert.Equal(t, 2, o.res.Signings)
		assert.False(t, doomed[o.res.Signature], "the blackholed transaction cannot be the result")
	}
	assert.Greater(t, proxy.Count(faultproxy.Blackhole), actions, "unconfirmed transactions are rebroadcast")
	checkExactlyOnce(t, n.RPC(), outs)
}

func TestSendOutcomeUnknown(t *testing.T) {
	n := localnettest.ForTest(t)
	// The transaction reaches the cluster, then the RPC endpoint goes down for good.
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		switch {
		case c.Method == "getLatestBlockhash":
			return faultproxy.Pass
		case c.Method == "sendTransaction" && c.NthMethod == 1:
			return faultproxy.Drop
		default:
			return unavailable
		}
	})
	s := newSender(t, proxy.URL(), sender.WithRetryPolicy(sender.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond}))
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var sig solana.Signature
	res, err := s.Send(ctx, func(h solana.Hash) ([]byte, error) {
		wire, err := tr.build(h)
		if err == nil {
			sig = solana.Signature(wire[1:65])
		}
		return wire, err
	})
	require.Nil(t, res)
	require.ErrorIs(t, err, sender.ErrOutcomeUnknown)
	var se *sender.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []solana.Signature{sig}, se.Signatures)
	var re *sender.RPCError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 503, re.HTTPStatus)
	assert.Contains(t, err.Error(), sig.String())

	// The signature resolves the outcome on a working endpoint: it landed, once.
	require.Eventually(t, func() bool {
		st, err := n.RPC().GetSignatureStatuses(ctx, true, sig)
		return err == nil && st.Value[0] != nil && st.Value[0].ConfirmationStatus != rpc.ConfirmationStatusProcessed
	}, 10*time.Second, 50*time.Millisecond)
	checkExactlyOnce(t, n.RPC(), []outcome{{tr: tr, err: err}})
	assert.Equal(t, tr.lamports, balances(t, n.RPC(), []solana.PublicKey{tr.to})[tr.to])
}

func TestSendSigned(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	payers := fundPayers(t, n, 3)
	height, err := n.RPC().GetBlockHeight(ctx, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	latest, err := n.RPC().GetLatestBlockhash(ctx, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	tests := []struct {
		name  string
		hash  solana.Hash
		lvbh  uint64
		opts  []sender.Option
		check func(t *testing.T, res *sender.Result, err error)
	}{
		{"lands", latest.Value.Blockhash, latest.Value.LastValidBlockHeight, nil,
			func(t *testing.T, res *sender.Result, err error) {
				require.NoError(t, err)
				assert.Equal(t, 1, res.Signings)
			}},
		// A wallet signed with a blockhash the cluster no longer has: sign again.
		{"refused blockhash", solana.Hash{0x5e, 0xa1}, height - 1, nil,
			func(t *testing.T, _ *sender.Result, err error) {
				require.ErrorIs(t, err, sender.ErrBlockhashExpired)
				var re *sender.RPCError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, -32002, re.Code)
			}},
		{"dropped and expired", solana.Hash{0x5e, 0xa2}, height - 1, []sender.Option{sender.WithSkipPreflight(true)},
			func(t *testing.T, _ *sender.Result, err error) {
				require.ErrorIs(t, err, sender.ErrBlockhashExpired)
				var se *sender.SendError
				require.ErrorAs(t, err, &se)
				assert.Len(t, se.Signatures, 1)
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, n.RPCURL(), tt.opts...)
			tr := plan(payers[i:i+1], 1)[0][0]
			tx, err := tr.tx(tt.hash)
			require.NoError(t, err)
			res, err := s.SendSigned(ctx, tx, tt.lvbh)
			tt.check(t, res, err)
			if err == nil {
				assert.Equal(t, tx.Signatures[0], res.Signature)
			}
			checkExactlyOnce(t, n.RPC(), []outcome{{tr, res, err}})
		})
	}
}

// TestSendEndpointDown: a request that could not even connect never reached the
// cluster, so the action was not applied and the error says why.
func TestSendEndpointDown(t *testing.T) {
	n := localnettest.ForTest(t)
	proxy := faultproxy.New(t, n.RPCURL())
	// No kept-alive connection: a request on one the server has closed might or might
	// not have been delivered, which is not this test's case.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	s, err := sender.New(rpc.NewWithCustomRPCClient(jsonrpc.NewClientWithOpts(proxy.URL(), &jsonrpc.RPCClientOpts{HTTPClient: hc})),
		sender.WithRetryPolicy(fastRetry), sender.WithBlockhashRefresh(time.Hour))
	require.NoError(t, err)
	defer s.Close()
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.Eventually(t, func() bool { return proxy.Count(faultproxy.Pass) > 0 }, 10*time.Second, 10*time.Millisecond,
		"the cache holds a blockhash")
	proxy.Close()
	_, err = s.Send(ctx, tr.build)
	assert.NotErrorIs(t, err, sender.ErrOutcomeUnknown)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	var re *sender.RPCError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "sendTransaction", re.Method)
	checkExactlyOnce(t, n.RPC(), []outcome{{tr: tr, err: err}})
}

func TestSendContextEnds(t *testing.T) {
	n := localnettest.ForTest(t)
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "sendTransaction" {
			return faultproxy.Blackhole
		}
		return faultproxy.Pass
	})
	s := newSender(t, proxy.URL())
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := s.Send(ctx, tr.build)
	assert.ErrorIs(t, err, sender.ErrOutcomeUnknown)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	checkExactlyOnce(t, n.RPC(), []outcome{{tr: tr, err: err}})
}

func TestSendProgramError(t *testing.T) {
	n := localnettest.ForTest(t)
	tests := []struct {
		name      string
		opts      []sender.Option
		preflight bool
		feePaid   uint64
	}{
		{"preflight", nil, true, 0},
		{"on chain", []sender.Option{sender.WithSkipPreflight(true)}, false, fee},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, n.RPCURL(), append(tt.opts, sender.WithWebSocket(n.WSURL()))...)
			payer := fundPayers(t, n, 1)[0]
			tr := transfer{from: payer, to: solana.NewWallet().PublicKey(), lamports: 2 * payerFunds}
			res, err := s.Send(context.Background(), tr.build)
			require.Nil(t, res)
			var te *sender.FailedError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.preflight, te.Preflight)
			assert.Equal(t, tt.preflight, te.Slot == 0)
			assert.Equal(t, map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 1.0}}}, te.Err)
			assert.Contains(t, te.Logs, "Program 11111111111111111111111111111111 failed: custom program error: 0x1")
			assert.ErrorIs(t, err, txn.ErrInsufficientFunds)
			var pe *txn.ProgramError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, uint32(1), pe.Code)
			assert.Equal(t, solana.SystemProgramID, *pe.ProgramID)
			assert.Equal(t, payerFunds-tt.feePaid, balances(t, n.RPC(), []solana.PublicKey{payer.PublicKey()})[payer.PublicKey()])
		})
	}
}

func TestSendWebSocketReconnects(t *testing.T) {
	n := localnettest.ForTest(t)
	wsURL, err := url.Parse(n.WSURL())
	require.NoError(t, err)
	tcp := faultproxy.NewTCP(t, wsURL.Host)
	var logs syncbuf.Buffer
	const secret = "api-key=s3cr3t"
	s := newSender(t, n.RPCURL(), sender.WithWebSocket("ws://"+tcp.Addr()+"/?"+secret),
		sender.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	work := plan(fundPayers(t, n, 2), 4)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	var outs []outcome
	for round := range 2 {
		half := [][]transfer{work[0][round*2 : round*2+2], work[1][round*2 : round*2+2]}
		outs = append(outs, run(ctx, s, half)...)
		tcp.Cut()
	}
	requireAllLanded(t, outs)
	checkExactlyOnce(t, n.RPC(), outs)
	require.Eventually(t, func() bool { return bytes.Contains(logs.Bytes(), []byte("websocket reconnected")) },
		10*time.Second, 20*time.Millisecond, "log:\n%s", logs.Bytes())
	assert.NotContains(t, logs.String(), secret, "endpoint URLs stay out of logs")
}

func TestSendWebSocketUnavailable(t *testing.T) {
	n := localnettest.ForTest(t)
	// Nothing listens there: the sender polls and keeps trying to connect.
	s := newSender(t, n.RPCURL(), sender.WithWebSocket("ws://127.0.0.1:1"))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	outs := run(ctx, s, plan(fundPayers(t, n, 2), 2))
	requireAllLanded(t, outs)
	checkExactlyOnce(t, n.RPC(), outs)
}

func TestSendFinalized(t *testing.T) {
	n := localnettest.ForTest(t)
	s := newSender(t, n.RPCURL(), sender.WithCommitment(rpc.CommitmentFinalized), sender.WithWebSocket(n.WSURL()))
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	res, err := s.Send(context.Background(), tr.build)
	require.NoError(t, err)
	st, err := n.RPC().GetSignatureStatuses(context.Background(), false, res.Signature)
	require.NoError(t, err)
	assert.Equal(t, rpc.ConfirmationStatusFinalized, st.Value[0].ConfirmationStatus)
}

func TestDetails(t *testing.T) {
	n := localnettest.ForTest(t)
	s := newSender(t, n.RPCURL())
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	res, err := s.Send(context.Background(), tr.build)
	require.NoError(t, err)
	d, err := s.Details(context.Background(), res.Signature)
	require.NoError(t, err)
	assert.Equal(t, res.Slot, d.Slot)
	assert.Equal(t, uint64(fee), d.Fee)
	require.NotNil(t, d.ComputeUnits)
	assert.Equal(t, uint64(150), *d.ComputeUnits)
	assert.Equal(t, []string{"Program 11111111111111111111111111111111 invoke [1]",
		"Program 11111111111111111111111111111111 success"}, d.Logs)
	assert.Nil(t, d.Err)

	_, err = s.Details(context.Background(), solana.Signature{1})
	assert.ErrorIs(t, err, sender.ErrTransactionNotFound)
}

func TestSendSharedCache(t *testing.T) {
	n := localnettest.ForTest(t)
	cache, err := sender.NewBlockhashCache(n.RPC())
	require.NoError(t, err)
	defer cache.Close()
	a := newSender(t, n.RPCURL(), sender.WithBlockhashCache(cache))
	b := newSender(t, n.RPCURL(), sender.WithBlockhashCache(cache))
	work := plan(fundPayers(t, n, 2), 2)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	outs := append(run(ctx, a, work[:1]), run(ctx, b, work[1:])...)
	requireAllLanded(t, outs)
	checkExactlyOnce(t, n.RPC(), outs)

	_, err = sender.New(n.RPC(), sender.WithBlockhashCache(cache), sender.WithCommitment(rpc.CommitmentFinalized))
	assert.ErrorContains(t, err, "differs from sender commitment")
}

func TestSendInvalidBuild(t *testing.T) {
	n := localnettest.ForTest(t)
	s := newSender(t, n.RPCURL())
	payer := solana.NewWallet().PrivateKey
	tr := transfer{from: payer, to: solana.NewWallet().PublicKey(), lamports: baseAmount}
	boom := errors.New("boom")
	tests := []struct {
		name  string
		build sender.BuildFunc
		want  error
	}{
		{"nil", nil, sender.ErrInvalidTransaction},
		{"error", func(solana.Hash) ([]byte, error) { return nil, boom }, boom},
		{"no bytes", func(solana.Hash) ([]byte, error) { return nil, nil }, sender.ErrInvalidTransaction},
		{"unsigned", func(h solana.Hash) ([]byte, error) {
			tx, err := solana.NewTransaction([]solana.Instruction{system.NewTransferInstruction(1, payer.PublicKey(), tr.to).Build()}, h)
			if err != nil {
				return nil, err
			}
			tx.Signatures = make([]solana.Signature, 1)
			return tx.MarshalBinary()
		}, sender.ErrInvalidTransaction},
		{"other blockhash", func(solana.Hash) ([]byte, error) { return tr.build(solana.Hash{9}) },
			sender.ErrInvalidTransaction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(context.Background(), tt.build)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	s.Close()
	_, err := s.Send(context.Background(), tr.build)
	assert.ErrorIs(t, err, sender.ErrClosed)
}

// With one signing allowed, a transaction whose blockhash expires unconfirmed ends the
// action with ErrBlockhashExpired instead of a re-signed transaction; nothing lands.
func TestSendMaxSignings(t *testing.T) {
	n := localnettest.ForTest(t)
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "sendTransaction" {
			return faultproxy.Blackhole
		}
		return faultproxy.Pass
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := newSender(t, proxy.URL(), sender.WithWebSocket(n.WSURL()), sender.WithMaxSignings(1))
	outs := run(ctx, s, plan(fundPayers(t, n, 1), 1))
	require.Len(t, outs, 1)
	require.ErrorIs(t, outs[0].err, sender.ErrBlockhashExpired)

	_, err := sender.New(n.RPC(), sender.WithMaxSignings(0))
	require.ErrorContains(t, err, "sender: max signings 0 is below 1")
}
