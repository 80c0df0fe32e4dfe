package localnet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// BenchmarkStart measures Start until the cluster answers RPC; Close is not
// timed. The launcher install is warm (done by an untimed first Start).
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	warm := localnettest.StartForTest(b)
	_ = warm.Close()
	b.ResetTimer()
	for b.Loop() {
		n, err := localnet.Start(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := n.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkTransfer measures System transfers sent with Net.Send and
// confirmed by getSignatureStatuses polling, on a fresh runtime per round
// (surfpool slows down as it processes more transactions, so compare runs
// with a fixed -benchtime=Nx).
func BenchmarkTransfer(b *testing.B) {
	for _, bc := range []struct {
		name    string
		senders int
	}{{"sequential", 1}, {"pipelined16", 16}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			n := localnettest.StartForTest(b)
			keys := make([]solana.PrivateKey, bc.senders)
			for i := range keys {
				k, err := n.NewFundedKey(ctx, 1000*solana.LAMPORTS_PER_SOL)
				if err != nil {
					b.Fatal(err)
				}
				keys[i] = k
			}
			to := solana.NewWallet().PublicKey()
			var seq atomic.Uint64
			work := make(chan struct{})
			done := make(chan error, bc.senders)
			b.ResetTimer()
			start := time.Now()
			for _, k := range keys {
				go func() {
					for range work {
						// Unique amounts keep otherwise identical transactions distinct.
						ix := system.NewTransferInstruction(1_000_000+seq.Add(1), k.PublicKey(), to).Build()
						if _, err := n.Send(ctx, k, []solana.Instruction{ix}); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
			}
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			for range keys {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
		})
	}
}
