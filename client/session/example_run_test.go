package session_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// Example_gameBackend needs a runtime, so it carries no Output comment (go test would run
// it even where the runtime is missing); this test runs it where the runtime is
// available and checks what it prints.
func TestExampleGameBackend(t *testing.T) {
	n := localnettest.ForTest(t) // skips or fails as every integration test does
	localnettest.RequireLamportsArgument(t, n)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	Example_gameBackend()
	os.Stdout = stdout
	require.NoError(t, w.Close())
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	require.NoError(t, err)
	require.Equal(t, "20 moves for 100000 lamports of fees; 4895000 lamports swept back to the wallet\n", out.String())
}

// Example_scoped needs a runtime too; this test runs it and checks what it prints.
func TestExampleScoped(t *testing.T) {
	localnettest.ForTest(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	Example_scoped()
	os.Stdout = stdout
	require.NoError(t, w.Close())
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	require.NoError(t, err)
	require.Equal(t, `refused: true
refused: max-uses 3 used + 1 > 3
chain: 35000000 GOLD base units in the session's account
sessionkit: max-uses 0 of 3 left
sessionkit: token-limit 35000000 of 50000000 left
returned: 35000000 GOLD base units
`, out.String())
}
