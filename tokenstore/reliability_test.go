package tokenstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reliability tests run this test binary again as helper processes,
// selected by environment variables, and synchronise with them only
// through their stdin and stdout.
const (
	helperEnv        = "TOKENSTORE_HELPER" // "writer", "pruner" or "leaser"
	helperDirEnv     = "TOKENSTORE_HELPER_DIR"
	helperFirstEnv   = "TOKENSTORE_HELPER_FIRST"
	helperCountEnv   = "TOKENSTORE_HELPER_COUNT"
	helperWorkersEnv = "TOKENSTORE_HELPER_GOROUTINES"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeBenchStore()
	os.Exit(code)
}

func runHelper(mode string) error {
	ctx := context.Background()
	d, err := Open(ctx, os.Getenv(helperDirEnv), MasterKey(testMasterKey))
	if err != nil {
		return err
	}
	defer d.Close()
	stdin := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	switch mode {
	case "writer":
		// Write sessions first..first+count-1 from several goroutines once
		// told to go, and print each token as soon as its Put has returned.
		if _, err := stdin.ReadString('\n'); err != nil {
			return err
		}
		first, _ := strconv.Atoi(os.Getenv(helperFirstEnv))
		count, _ := strconv.Atoi(os.Getenv(helperCountEnv))
		workers, _ := strconv.Atoi(os.Getenv(helperWorkersEnv))
		var next atomic.Int64
		var mu sync.Mutex
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= count {
						return
					}
					rec, key := testSession(helperTB{}, first+i)
					if err := d.Put(ctx, rec, key); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					_, err := os.Stdout.WriteString(rec.Token.String() + "\n")
					mu.Unlock()
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	case "pruner":
		// Prune (which sweeps tmp) in a loop until stdin is closed.
		closed := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, stdin); close(closed) }()
		for {
			select {
			case <-closed:
				return nil
			default:
			}
			if _, err := d.Prune(ctx, time.Unix(0, 0)); err != nil {
				return err
			}
		}
	case "leaser":
		// Acquire session 0 for "helper", taking it over if
		// TOKENSTORE_HELPER_COUNT is 1, and print the outcome.
		takeover := os.Getenv(helperCountEnv) == "1"
		_, err := d.Acquire(ctx, testPub("token", 0), "helper", time.Minute, takeover)
		if he, ok := errors.AsType[*HeldError](err); ok {
			fmt.Println("held by " + he.Holder)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Println("acquired")
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// helperTB lets testSession run outside a test; it fails by panicking.
type helperTB struct{ testing.TB }

func (helperTB) Helper()                           {}
func (helperTB) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (helperTB) FailNow()                          { panic("FailNow") }

type helper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr strings.Builder
}

func startHelper(t *testing.T, mode, dir string, first, count, goroutines int) *helper {
	t.Helper()
	h := &helper{cmd: exec.Command(os.Args[0])}
	h.cmd.Env = append(os.Environ(),
		helperEnv+"="+mode,
		helperDirEnv+"="+dir,
		helperFirstEnv+"="+strconv.Itoa(first),
		helperCountEnv+"="+strconv.Itoa(count),
		helperWorkersEnv+"="+strconv.Itoa(goroutines),
	)
	h.cmd.Stderr = &h.stderr
	var err error
	h.stdin, err = h.cmd.StdinPipe()
	require.NoError(t, err)
	out, err := h.cmd.StdoutPipe()
	require.NoError(t, err)
	h.stdout = bufio.NewReader(out)
	require.NoError(t, h.cmd.Start())
	t.Cleanup(func() { _ = h.cmd.Process.Kill() })
	line, err := h.stdout.ReadString('\n')
	require.NoError(t, err, "helper did not start: %s", &h.stderr)
	require.Equal(t, "ready\n", line)
	return h
}

// readToken returns the next token the helper committed; ok is false at
// the end of its output. A line cut short by a kill is not a commitment.
func (h *helper) readToken(t *testing.T) (token solana.PublicKey, ok bool) {
	line, err := h.stdout.ReadString('\n')
	if err != nil {
		return token, false
	}
	token, err = solana.PublicKeyFromBase58(strings.TrimSuffix(line, "\n"))
	require.NoError(t, err, "helper printed %q", line)
	return token, true
}

// requireStoreSound opens dir as a fresh process would and checks that
// every committed session is listed, that those in check read back intact,
// that no record file is unreadable and that Open swept the killed
// writers' temporary files. It returns the number of records.
func requireStoreSound(t *testing.T, dir string, committed, check map[solana.PublicKey]int) int {
	t.Helper()
	d, err := Open(t.Context(), dir, MasterKey(testMasterKey))
	require.NoError(t, err)
	defer d.Close()
	recs, err := d.List(t.Context(), Filter{})
	require.NoError(t, err, "an unreadable record is listed")
	listed := make(map[solana.PublicKey]bool, len(recs))
	for _, r := range recs {
		listed[r.Token] = true
	}
	for token, i := range committed {
		require.True(t, listed[token], "committed session %d is not listed", i)
	}
	for token, i := range check {
		want, wantKey := testSession(t, i)
		rec, key, err := d.Get(t.Context(), token)
		require.NoError(t, err, "committed session %d lost", i)
		require.Equal(t, want, rec)
		require.Equal(t, wantKey.PublicKey(), key.PublicKey())
	}
	names, err := readNames(filepath.Join(dir, "sessions"))
	require.NoError(t, err)
	require.Len(t, names, len(recs), "files in sessions/ that are not readable records")
	leftovers, err := readNames(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	require.Empty(t, leftovers, "Open did not sweep temporary files")
	return len(recs)
}

func TestKilledWriterLosesNothing(t *testing.T) {
	const kills = 100
	_, dir := newTestDir(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("kill points from seed %d", seed)
	committed := map[solana.PublicKey]int{}
	midWrite := 0 // kills that left a temporary file behind
	for iter := range kills {
		first := iter * 1000
		w := startHelper(t, "writer", dir, first, 1000, 1+iter%3)
		_, err := w.stdin.Write([]byte("go\n"))
		require.NoError(t, err)
		fresh := map[solana.PublicKey]int{}
		// Kill after a random number of commits, while later Puts are in
		// flight; k = 0 kills the first Put.
		k := rng.IntN(12)
		for range k {
			token, ok := w.readToken(t)
			require.True(t, ok, "writer died: %s", &w.stderr)
			fresh[token] = sessionIndex(t, token, first)
		}
		require.NoError(t, w.cmd.Process.Kill())
		// Lines already printed were committed too.
		for token, ok := w.readToken(t); ok; token, ok = w.readToken(t) {
			fresh[token] = sessionIndex(t, token, first)
		}
		_ = w.cmd.Wait()
		if orphans, _ := readNames(filepath.Join(dir, "tmp")); len(orphans) > 0 {
			midWrite++
		}
		maps.Copy(committed, fresh)
		requireStoreSound(t, dir, committed, fresh)
	}
	requireStoreSound(t, dir, committed, committed)
	t.Logf("%d sessions committed across %d killed writers, %d of them killed mid-write", len(committed), kills, midWrite)
}

// sessionIndex finds which test session, counting from first, has token.
func sessionIndex(t *testing.T, token solana.PublicKey, first int) int {
	for i := first; i < first+1000; i++ {
		if testPub("token", i) == token {
			return i
		}
	}
	t.Fatalf("token %s is no test session from %d", token, first)
	return 0
}

func TestConcurrentProcessesKeepEveryRecord(t *testing.T) {
	const (
		processes  = 2
		goroutines = 8
		each       = 160 // sessions per process
	)
	_, dir := newTestDir(t)
	var writers []*helper
	for p := range processes {
		writers = append(writers, startHelper(t, "writer", dir, p*each, each, goroutines))
	}
	pruner := startHelper(t, "pruner", dir, 0, 0, 0)
	for _, w := range writers {
		_, err := w.stdin.Write([]byte("go\n"))
		require.NoError(t, err)
	}
	committed := map[solana.PublicKey]int{}
	for p, w := range writers {
		for token, ok := w.readToken(t); ok; token, ok = w.readToken(t) {
			committed[token] = sessionIndex(t, token, p*each)
		}
		require.NoError(t, w.cmd.Wait(), "writer %d: %s", p, &w.stderr)
	}
	require.NoError(t, pruner.stdin.Close())
	require.NoError(t, pruner.cmd.Wait(), "pruner: %s", &pruner.stderr)

	assert.Len(t, committed, processes*each)
	n := requireStoreSound(t, dir, committed, committed)
	assert.Equal(t, processes*each, n)
}
