package sender_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// BenchmarkSend measures end-to-end System transfers through one Sender shared by 10
// goroutines (one payer each) on a fresh embedded runtime: transfers per second, p50 and
// p99 latency from Send to confirmed, the client's build+sign time, and CPU time of this
// process (the client) and of the runtime's process as shares of wall time. Run it with
// a fixed count, e.g. -benchtime=300x: the runtime slows down as it ages.
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name string
		ws   bool
		poll time.Duration
	}{
		{"websocket", true, 50 * time.Millisecond},
		{"poll50ms", false, 50 * time.Millisecond},
		{"poll10ms", false, 10 * time.Millisecond},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := localnettest.StartForTest(b)
			opts := []sender.Option{sender.WithPollInterval(bc.poll)}
			if bc.ws {
				opts = append(opts, sender.WithWebSocket(n.WSURL()))
			}
			benchSend(b, n, 10, opts...)
		})
	}
}

func benchSend(b *testing.B, n *localnet.Net, workers int, opts ...sender.Option) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	payers := make([]solana.PrivateKey, workers)
	for i := range payers {
		var err error
		if payers[i], err = n.NewFundedKey(ctx, payerFunds); err != nil {
			b.Fatal(err)
		}
	}
	s, err := sender.New(sender.NewRPCClient(n.RPCURL(), nil), opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// Warm up: the cache, the connections and the WebSocket.
	if _, err := s.Send(ctx, transfer{from: payers[0], to: solana.NewWallet().PublicKey(), lamports: baseAmount}.build); err != nil {
		b.Fatal(err)
	}

	latencies := make([]time.Duration, b.N)
	var signing atomic.Int64
	var next atomic.Int64
	var failed atomic.Int64
	cpu0, node0 := selfCPU(), procCPU(n.Info().PID)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				tr := transfer{from: payers[w], to: solana.NewWallet().PublicKey(), lamports: baseAmount + uint64(i)}
				t0 := time.Now()
				_, err := s.Send(ctx, func(h solana.Hash) ([]byte, error) {
					t := time.Now()
					defer func() { signing.Add(int64(time.Since(t))) }()
					return tr.build(h)
				})
				latencies[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	b.StopTimer()
	cpu, node := selfCPU()-cpu0, procCPU(n.Info().PID)-node0

	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/wall.Seconds(), "tx/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(signing.Load())/float64(b.N)/1e3, "sign-µs/tx")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "client-cpu-%")
	if node >= 0 {
		b.ReportMetric(100*node.Seconds()/wall.Seconds(), "runtime-cpu-%")
	}
	if failed.Load() > 0 {
		b.Fatalf("%d of %d transfers failed", failed.Load(), b.N)
	}
}

// BenchmarkBuildSign is the client's own cost per transfer: fresh instruction,
// NewTransaction, one signature, wire encoding. It bounds client throughput per core.
func BenchmarkBuildSign(b *testing.B) {
	tr := transfer{from: solana.NewWallet().PrivateKey, to: solana.NewWallet().PublicKey(), lamports: baseAmount}
	h := solana.Hash{1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.build(h); err != nil {
			b.Fatal(err)
		}
	}
}

// selfCPU is the user and system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's user and system CPU time from /proc (Linux), or -1.
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the parenthesised command name; utime and stime are 14th and 15th.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck
}
