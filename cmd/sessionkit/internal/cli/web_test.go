package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// TestWeb serves the demo on its own cluster and reads the page and the API's config
// from the printed URL.
func TestWeb(t *testing.T) {
	localnettest.ForTest(t) // the embedded runtime is there (or the test skips as the package's do)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	a := &app{io: IO{In: strings.NewReader(""), Out: pw, Err: io.Discard}}
	done := make(chan error, 1)
	go func() {
		done <- a.web(ctx, "127.0.0.1:0", nil)
		pw.Close()
	}()
	buf := make([]byte, 4096)
	var out string
	url := regexp.MustCompile(`Demo page: (http://\S+/)`)
	deadline := time.Now().Add(2 * time.Minute)
	for !url.MatchString(out) && time.Now().Before(deadline) {
		n, err := pr.Read(buf)
		require.NoError(t, err)
		out += string(buf[:n])
	}
	base := url.FindStringSubmatch(out)[1]
	go io.Copy(io.Discard, pr)
	for _, path := range []string{"", "sessionkit.js", "api/config"} {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.NotEmpty(t, body)
		if path == "api/config" {
			require.Contains(t, string(body), `"modes":["server","browser"]`)
		}
	}
	cancel()
	require.NoError(t, <-done)
}
