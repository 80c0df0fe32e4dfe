package progress

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/internal/syncbuf"
)

func TestDisabledDrawsNothing(t *testing.T) {
	var b syncbuf.Buffer
	r := New(&b, false)
	require.False(t, r.Enabled())
	task := r.Count("moves", 10)
	task.Add(3)
	task.Done()
	r.Start("spin").Done()
	require.Empty(t, b.String())
	var nilReporter *Reporter
	require.False(t, nilReporter.Enabled())
}

func TestCounter(t *testing.T) {
	var b syncbuf.Buffer
	task := New(&b, true).Count("moves", 10)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); task.Add(2) }()
	}
	wg.Wait()
	time.Sleep(2 * tick)
	task.Done()
	out := b.String()
	require.Contains(t, out, " moves 0/10 (")
	require.Contains(t, out, " moves 10/10 (")
	require.True(t, strings.HasSuffix(out, "\r\033[K"), "the line is cleared at the end: %q", out)
}

func TestSpinner(t *testing.T) {
	var b syncbuf.Buffer
	New(&b, true).Start("starting").Done()
	require.Equal(t, "\r\033[K"+frames[1]+" starting\r\033[K", b.String())
}
