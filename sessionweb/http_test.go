package sessionweb_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/syncbuf"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/sessionweb"
)

// post sends body as JSON from origin and decodes the answer.
func post(t testing.TB, url, origin string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return res.StatusCode, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// goClient plays a browser-held session as the ES module does, with an ed25519 key in
// Go: the test wallet signs the create, the key signs its slot and every move.
type goClient struct {
	t      testing.TB
	url    string
	wallet solana.PrivateKey
	key    *txn.SessionKey
	id     string
	token  solana.PublicKey
}

func (c *goClient) create(mode string) {
	t := c.t
	req := map[string]string{"wallet": c.wallet.PublicKey().String(), "mode": mode}
	if mode == sessionweb.ModeBrowser {
		req["signer"] = c.key.PublicKey().String()
	}
	status, out := post(t, c.url+"/api/prepare", c.url, req)
	require.Equal(t, http.StatusOK, status, "%v", out)
	wire, err := base64.StdEncoding.DecodeString(out["transaction"].(string))
	require.NoError(t, err)
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	msg, err := tx.Message.MarshalBinary()
	require.NoError(t, err)
	for i, k := range tx.Message.AccountKeys[:tx.Message.Header.NumRequiredSignatures] {
		switch k {
		case c.wallet.PublicKey():
			tx.Signatures[i], err = c.wallet.Sign(msg)
			require.NoError(t, err)
		case c.key.PublicKey():
			tx.Signatures[i] = c.key.Sign(msg)
		}
	}
	signed, err := tx.MarshalBinary()
	require.NoError(t, err)
	c.id, c.token = out["session"].(string), solana.MustPublicKeyFromBase58(out["token"].(string))
	status, out = post(t, c.url+"/api/submit", c.url, map[string]string{"session": c.id, "transaction": base64.StdEncoding.EncodeToString(signed)})
	require.Equal(t, http.StatusOK, status, "%v", out)
}

// move relays one browser-held move and returns the answer.
func (c *goClient) move(move string) (int, map[string]any) {
	status, out := post(c.t, c.url+"/api/move/prepare", c.url, map[string]any{"session": c.id, "move": json.RawMessage(move)})
	if status != http.StatusOK {
		return status, out
	}
	msg, err := base64.StdEncoding.DecodeString(out["message"].(string))
	require.NoError(c.t, err)
	sig := c.key.Sign(msg)
	return post(c.t, c.url+"/api/move/relay", c.url, map[string]string{"session": c.id, "message": out["message"].(string), "signature": base64.StdEncoding.EncodeToString(sig[:])})
}

func newGoClient(t testing.TB, r *rig) *goClient {
	wallet, err := r.net.NewFundedKey(context.Background(), 1_000_000_000)
	require.NoError(t, err)
	key, err := txn.GenerateSessionKey(nil)
	require.NoError(t, err)
	return &goClient{t: t, url: r.url, wallet: wallet, key: key}
}

// The handlers' gates: origin (CSRF), content type, size, unknown sessions, modes, and
// the relay's refusals over HTTP with their typed errors.
func TestHandlers(t *testing.T) {
	r := newRig(t)
	c := newGoClient(t, r)
	c.create(sessionweb.ModeBrowser)

	status, out := post(t, r.url+"/api/status", "", map[string]string{"session": c.id})
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, sessionweb.CodeForbidden, errCode(out))
	status, out = post(t, r.url+"/api/status", "https://evil.example", map[string]string{"session": c.id})
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, sessionweb.CodeForbidden, errCode(out))

	req, err := http.NewRequest(http.MethodPost, r.url+"/api/status", strings.NewReader(`session=x`))
	require.NoError(t, err)
	req.Header.Set("Origin", r.url)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode, "a form post (CSRF) is refused")

	status, out = post(t, r.url+"/api/status", r.url, map[string]string{"session": strings.Repeat("x", 70<<10)})
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Equal(t, sessionweb.CodeTooLarge, errCode(out))

	status, out = post(t, r.url+"/api/status", r.url, map[string]string{"session": "nope"})
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, sessionweb.CodeUnknownSession, errCode(out))

	status, out = post(t, r.url+"/api/move", r.url, map[string]any{"session": c.id, "move": map[string]string{"direction": "up"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, sessionweb.CodeWrongMode, errCode(out), "a browser-held session's moves go through the relay")

	status, out = c.move(`{"direction":"up"}`)
	require.Equal(t, http.StatusOK, status, "%v", out)

	// A message the relay would not pay for: signed by the session key, paid by another.
	other := solana.NewWallet().PublicKey()
	player, err := examplegame.Game{ID: examplegame.ProgramID}.Player(c.wallet.PublicKey())
	require.NoError(t, err)
	bh, err := r.net.RecentBlockhash(context.Background())
	require.NoError(t, err)
	msg, err := txn.CompileLegacy(other, bh, examplegame.Game{ID: examplegame.ProgramID}.Move(player, c.key.PublicKey(), c.token, examplegame.Up))
	require.NoError(t, err)
	sig := c.key.Sign(msg.Bytes())
	status, out = post(t, r.url+"/api/move/relay", r.url, map[string]string{"session": c.id, "message": base64.StdEncoding.EncodeToString(msg.Bytes()), "signature": base64.StdEncoding.EncodeToString(sig[:])})
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, sessionweb.CodeFeePayer, errCode(out))

	status, out = c.move(`{"buy":1}`)
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, sessionweb.CodeRefused, errCode(out))
	require.Equal(t, "instruction-not-allowed", out["error"].(map[string]any)["bound"])

	status, out = post(t, r.url+"/api/status", r.url, map[string]string{"session": c.id})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, float64(1), out["uses"], "refused moves are not counted")
	require.Equal(t, float64(100), out["maxUses"])
	require.Greater(t, out["expiresIn"].(float64), float64(3500))

	st := r.srv.Stats()
	require.Equal(t, uint64(1), st.Relayed)
	require.Equal(t, uint64(2), st.Refused)
}

// The grant's move bound, over the relay: the move past max-uses is refused naming it.
func TestHandlersMaxUses(t *testing.T) {
	r := newRig(t, sessionweb.WithCreateParams(sessionweb.ModeBrowser, session.CreateParams{Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour, Grant: grantOf(t, 2)}))
	c := newGoClient(t, r)
	c.create(sessionweb.ModeBrowser)
	for range 2 {
		status, out := c.move(`{"direction":"left"}`)
		require.Equal(t, http.StatusOK, status, "%v", out)
	}
	status, out := c.move(`{"direction":"left"}`)
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, sessionweb.CodeBound, errCode(out))
	require.Equal(t, "max-uses", out["error"].(map[string]any)["bound"])
}

// Per-session rate limit: a burst past it is refused with rate_limited. The log has a
// line per request and none of the session's capability, keys or transactions.
func TestHandlersRateLimit(t *testing.T) {
	var logs syncbuf.Buffer
	r := newRig(t, sessionweb.WithRateLimits(1000, 1, 3), sessionweb.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	c := newGoClient(t, r)
	c.create(sessionweb.ModeServer) // prepare and submit: 1 of the burst of 3 per session
	var codes []string
	for range 4 {
		_, out := post(t, r.url+"/api/status", r.url, map[string]string{"session": c.id})
		codes = append(codes, errCode(out))
	}
	require.Equal(t, []string{"", "", sessionweb.CodeRateLimited, sessionweb.CodeRateLimited}, codes)
	require.Equal(t, 6, strings.Count(logs.String(), `"msg":"sessionweb"`))
	require.Contains(t, logs.String(), `"status":429`)
	require.NotContains(t, logs.String(), c.id)
	require.NotContains(t, logs.String(), c.wallet.String())
}

// BenchmarkRelayEndToEnd relays moves of a browser-held session on the embedded runtime
// as the page does (prepare, sign, relay, confirm) and reports the relay's share of the
// wall time: its validation and co-signing against the whole round trip.
func BenchmarkRelayEndToEnd(b *testing.B) {
	r := newRig(b, sessionweb.WithCreateParams(sessionweb.ModeBrowser, session.CreateParams{Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour}),
		sessionweb.WithRateLimits(1e6, 1e6, 1e6))
	c := newGoClient(b, r)
	c.create(sessionweb.ModeBrowser)
	before := r.srv.Stats()
	start := time.Now()
	for b.Loop() {
		if status, out := c.move(`{"direction":"up"}`); status != http.StatusOK {
			b.Fatal(out)
		}
	}
	wall := time.Since(start)
	st := r.srv.Stats()
	b.ReportMetric(100*float64(st.Validation-before.Validation)/float64(wall), "relay-%")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "moves/s")
}
