package session

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// benchWarmup is how many moves each benchmark run plays before its clock starts.
const benchWarmup = 10

// BenchmarkEndToEnd plays example-game moves on a fresh embedded runtime per
// sub-benchmark, each of c sessions sending its next move once the previous one is
// confirmed:
//
//   - ws-c1, ws-c8: WebSocket confirmation as on a real cluster (the sender's remote
//     defaults: WithWebSocket and a 400 ms poll interval), 1 and 8 sessions in flight;
//   - poll-c1, poll-c8: no WebSocket, the loopback defaults a local cluster gets
//     (WithEndpoint: a 5 ms poll and a status check as soon as a move is sent).
//
// Each reports moves/s, the p50 and p99 of the time from Send to confirmation (p50-ms,
// p99-ms), client-cpu-ms/move: this process's CPU time (user and system, the runtime
// runs in its own process) per move, and send-p50-ms and send-p99-ms: the round trips
// of the sendTransaction requests alone, the part of a move's latency the runtime sets
// before any confirmation can be seen. Run it with a fixed count, e.g. -bench EndToEnd
// -benchtime 500x: the runtime slows down after a few thousand transactions.
func BenchmarkEndToEnd(b *testing.B) {
	for _, bc := range []struct {
		name    string
		ws      bool
		players int
	}{
		{"ws-c1", true, 1},
		{"ws-c8", true, 8},
		{"poll-c1", false, 1},
		{"poll-c8", false, 8},
	} {
		b.Run(bc.name, func(b *testing.B) { benchEndToEnd(b, bc.ws, bc.players) })
	}
}

func benchEndToEnd(b *testing.B, ws bool, concurrency int) {
	net := localnettest.StartForTest(b, clusterConfig()...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sends := &sendTimer{next: http.DefaultTransport}
	client := rpc.NewWithCustomRPCClient(jsonrpc.NewClientWithOpts(net.RPCURL(),
		&jsonrpc.RPCClientOpts{HTTPClient: &http.Client{Transport: sends}}))
	// The embedded runtime makes a block per transaction, so at a hundred moves a second a
	// blockhash lives about 1.5 s, not the minute it lives on a real cluster: refresh it
	// often enough that moves do not expire in flight.
	opts := []sender.Option{sender.WithBlockhashRefresh(200 * time.Millisecond)}
	if ws {
		// An explicit poll interval turns off the loopback defaults: what a backend
		// talking to a remote cluster gets.
		opts = append(opts, sender.WithWebSocket(net.WSURL()), sender.WithPollInterval(400*time.Millisecond))
	} else {
		opts = append(opts, sender.WithEndpoint(net.RPCURL()))
	}
	snd, err := sender.New(client, opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer snd.Close()
	m := NewManager(client, snd)
	game := examplegame.Game{ID: gameID}

	type player struct {
		sess    *Session
		account solana.PublicKey
		moves   int
	}
	players := make([]*player, concurrency)
	for i := range players {
		sess, acct := benchPlayer(b, ctx, net, m, game, 24*time.Hour)
		players[i] = &player{sess: sess, account: acct}
	}
	move := func(p *player) (time.Duration, error) {
		ixs := []solana.Instruction{game.Move(p.account, p.sess.signer, p.sess.token, examplegame.Direction(p.moves%4))}
		p.moves++
		t0 := time.Now()
		_, err := p.sess.Send(ctx, ixs)
		return time.Since(t0), err
	}
	for i := range benchWarmup {
		if _, err := move(players[i%len(players)]); err != nil {
			b.Fatal(err)
		}
	}

	latencies := make([][]time.Duration, concurrency)
	var next atomic.Int64
	sends.start()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w, p := range players {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				d, err := move(p)
				if err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], d)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuTime(b) - cpu0

	all := slices.Concat(latencies...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "moves/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[(len(all)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(all)), "client-cpu-ms/move")
	if st := sends.stop(); len(st) > 0 {
		slices.Sort(st)
		b.ReportMetric(float64(st[len(st)/2].Microseconds())/1000, "send-p50-ms")
		b.ReportMetric(float64(st[(len(st)*99)/100].Microseconds())/1000, "send-p99-ms")
	}
}

// sendTimer times the sendTransaction requests that pass through it while started.
type sendTimer struct {
	next http.RoundTripper

	mu    sync.Mutex
	on    bool
	times []time.Duration
}

func (st *sendTimer) start() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.on, st.times = true, nil
}

func (st *sendTimer) stop() []time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.on = false
	return st.times
}

func (st *sendTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	st.mu.Lock()
	on := st.on
	st.mu.Unlock()
	if !on || req.Body == nil {
		return st.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	t0 := time.Now()
	resp, err := st.next.RoundTrip(req)
	if err == nil && bytes.Contains(body, []byte(`"sendTransaction"`)) {
		// The answer is a signature: reading it is part of the round trip.
		data, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
		if rerr == nil {
			d := time.Since(t0)
			st.mu.Lock()
			st.times = append(st.times, d)
			st.mu.Unlock()
		}
	}
	return resp, err
}

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPlayer funds an owner, sets up its player in game and creates a session for it
// with a top-up that outlasts any benchmark.
func benchPlayer(b *testing.B, ctx context.Context, net *localnet.Net, m *Manager, game examplegame.Game, validFor time.Duration) (*Session, solana.PublicKey) {
	b.Helper()
	owner, err := net.NewFundedKey(ctx, 10_000_000_000)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := game.InitPlayer(owner.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := net.Send(ctx, owner, []solana.Instruction{ix}); err != nil {
		b.Fatal(err)
	}
	player, err := game.Player(owner.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	sess, err := m.Create(ctx, owner, CreateParams{Kind: KindV1, TargetProgram: game.ID, TopUp: 1_000_000_000, ValidFor: validFor})
	if err != nil {
		b.Fatal(err)
	}
	return sess, player
}
