package session

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// restoreSessions is how many stored sessions BenchmarkRestore restores: the issue's
// 100,000, or RESTORE_SESSIONS.
func restoreSessions(b *testing.B) int {
	if v := os.Getenv("RESTORE_SESSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("RESTORE_SESSIONS=%q", v)
		}
		return n
	}
	return 100_000
}

// BenchmarkRestore restores live stored sessions into a Pool on a fresh embedded
// runtime whose token accounts were injected with surfpool's surfnet_setAccount (one
// transaction each would take longer than the benchmark). Sub-benchmarks: memory, the
// sessions in a tokenstore.Memory; dir, in a tokenstore.Dir opened with a master key
// (no passphrase KDF; each record is still read from its file and decrypted), with a
// tenth as many sessions since writing each record syncs it to disk.
//
// Metrics: us/session, the wall time of Restore per stored session (each op is one
// Restore of all of them); B/session, the heap the restored pool holds per session
// (live heap after Restore, less before it, after a GC); and read-us/session, the
// runtime's own floor: the same tokens read once more, 100 per getMultipleAccounts,
// one call after another, with nothing judged or built.
//
// RESTORE_SESSIONS sets the count: surfpool's surfnet_setAccount slows down as accounts
// accumulate (10,000 injected in 15 s, 30,000 in 117 s on the machine of
// docs/benchmarks.md), so the 100,000 take the better part of an hour to set up.
func BenchmarkRestore(b *testing.B) {
	total := restoreSessions(b)
	net := localnettest.StartForTest(b, clusterConfig()...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	snd, err := sender.New(net.RPC(), net.SenderOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	defer snd.Close()
	m := NewManager(net.RPC(), snd, WithProgramID(localnettest.SessionProgramID()))
	now, err := m.ClusterTime(ctx)
	if err != nil {
		b.Fatal(err)
	}
	snaps := make([]Snapshot, total)
	accts := make([]injected, total)
	parallel(total, func(i int) {
		snaps[i], accts[i] = storedSession(b, m.ProgramID(), gameID, now+7*86_400, 1_000_000)
	})
	t0 := time.Now()
	injectAccounts(b, ctx, net.RPCURL(), accts)
	b.Logf("injected %d token accounts in %v", total, time.Since(t0).Round(time.Millisecond))
	accts = nil

	b.Run("memory", func(b *testing.B) {
		mem := tokenstore.NewMemory()
		defer mem.Close()
		benchRestore(b, ctx, m, StorePersister(mem, m.ProgramID()), snaps)
	})
	b.Run("dir", func(b *testing.B) {
		key := make([]byte, 32)
		for i := range key {
			key[i] = byte(i)
		}
		d, err := tokenstore.Create(ctx, filepath.Join(b.TempDir(), "store"), tokenstore.MasterKey(key))
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		benchRestore(b, ctx, m, StorePersister(d, m.ProgramID()), snaps[:max(1, len(snaps)/10)])
	})
}

func benchRestore(b *testing.B, ctx context.Context, m *Manager, ps Persister, snaps []Snapshot) {
	errs := make([]error, len(snaps))
	parallel(len(snaps), func(i int) { errs[i] = ps.Save(ctx, snaps[i]) })
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	var elapsed time.Duration
	var held uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		pool := NewPool(m, PoolConfig{Persister: ps, Interval: -1})
		b.StartTimer()
		t0 := time.Now()
		n, err := pool.Restore(ctx)
		elapsed += time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if n != len(snaps) {
			b.Fatalf("restored %d of %d", n, len(snaps))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held += after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
		keep(pool.Sessions())
		if err := pool.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	per := float64(b.N) * float64(len(snaps))
	b.ReportMetric(float64(elapsed.Microseconds())/per, "us/session")
	b.ReportMetric(float64(held)/per, "B/session")

	addrs := make([]solana.PublicKey, len(snaps))
	for i, s := range snaps {
		addrs[i] = s.Token
	}
	t0 := time.Now()
	for start := 0; start < len(addrs); start += restoreBatch {
		res, err := m.rpc.GetMultipleAccountsWithOpts(ctx, addrs[start:min(start+restoreBatch, len(addrs))],
			&rpc.GetMultipleAccountsOpts{Encoding: solana.EncodingBase64, Commitment: m.commitment})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Value) == 0 {
			b.Fatal("no accounts")
		}
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/float64(len(addrs)), "read-us/session")
}

// keep keeps the restored sessions reachable until the heap is measured.
func keep(s []*Session) { runtime.KeepAlive(s) }

// parallel calls f(0) … f(n-1), on as many goroutines as there are cores.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}
