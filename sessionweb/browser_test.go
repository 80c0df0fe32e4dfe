package sessionweb_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/sessionweb"
)

const fee = 5000 // lamports per signature on the embedded runtime

// chromium finds Debian's chromium; under CI a missing one fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium; make test does it)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium)")
	return ""
}

// browser starts headless chromium with a fresh profile and the flags that keep it off
// the network it does not need.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 860),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	require.NoError(t, chromedp.Do(ctx)) // starts the browser, on a context without a timeout
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// testWallet is a wallet-standard wallet over a test keypair, injected before the page's
// scripts run; window.__prompts counts its signTransaction prompts.
func testWallet(key solana.PrivateKey) string {
	pkcs8 := append([]byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20}, key[:32]...)
	return fmt.Sprintf(`(() => {
  window.__prompts = 0;
  const address = %q;
  const pkcs8 = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
  const keyP = crypto.subtle.importKey("pkcs8", pkcs8, {name: "Ed25519"}, false, ["sign"]);
  const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  const b58 = (bytes) => { let n = 0n; for (const b of bytes) n = n*256n + BigInt(b); let s = ""; while (n > 0n) { s = B58[Number(n %% 58n)] + s; n /= 58n; } for (const b of bytes) { if (b) break; s = "1" + s; } return s; };
  const account = {address, publicKey: new Uint8Array(32), chains: ["solana:localnet"], features: ["solana:signTransaction"]};
  const wallet = {
    version: "1.0.0", name: "Test Wallet", icon: "data:image/svg+xml;base64,PHN2Zy8+", chains: ["solana:localnet"], accounts: [account],
    features: {
      "standard:connect": {version: "1.0.0", connect: async () => ({accounts: [account]})},
      "solana:signTransaction": {version: "1.0.0", supportedTransactionVersions: ["legacy"], signTransaction: async (...inputs) => {
        window.__prompts++;
        const out = [];
        for (const {transaction} of inputs) {
          const tx = new Uint8Array(transaction);
          const n = tx[0], msg = tx.subarray(1 + 64*n);
          let at = -1;
          for (let i = 0; i < msg[0]; i++) if (b58(msg.subarray(4 + 32*i, 36 + 32*i)) === address) at = i;
          if (at < 0) throw new Error("test wallet: not a signer");
          tx.set(new Uint8Array(await crypto.subtle.sign("Ed25519", await keyP, msg)), 1 + 64*at);
          out.push({signedTransaction: tx});
        }
        return out;
      }},
    },
  };
  const register = (api) => api.register(wallet);
  window.addEventListener("wallet-standard:app-ready", (e) => register(e.detail));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", {detail: register}));
})();`, key.PublicKey().String(), base64.StdEncoding.EncodeToString(pkcs8))
}

// eval evaluates expr in the page, awaiting a promise, and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// loaded waits for the demo page's module to have run.
func loaded(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#connect"))))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`typeof window.demo === "object"`))
	require.NoError(t, err)
}

type rig struct {
	net    *localnet.Net
	m      *session.Manager
	srv    *sessionweb.Server
	url    string
	relay  *txn.SessionKey
	relayK solana.PrivateKey
}

func newRig(t testing.TB, opts ...sessionweb.Option) *rig {
	t.Helper()
	ctx := context.Background()
	n := localnettest.ForTest(t)
	m, err := session.Dial(ctx, n.RPCURL(), session.WithWebSocketURL(n.WSURL()),
		session.WithProgramID(localnettest.SessionProgramID()), session.WithIDL(examplegame.ProgramID, mustIDL(t)))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	relayK, err := n.NewFundedKey(ctx, 1_000_000_000)
	require.NoError(t, err)
	relay, err := txn.SessionKeyFromPrivateKey(relayK)
	require.NoError(t, err)
	g := grantOf(t, 100)
	opts = append([]sessionweb.Option{sessionweb.WithRelay(relay),
		sessionweb.WithCreateParams(sessionweb.ModeServer, session.CreateParams{Kind: session.KindV1, TopUp: 10_000_000, ValidFor: time.Hour, Grant: g}),
		sessionweb.WithCreateParams(sessionweb.ModeBrowser, session.CreateParams{Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour, Grant: g}),
	}, opts...)
	srv, err := sessionweb.New(m, examplegame.ProgramID, sessionweb.ExampleGame(examplegame.Game{ID: examplegame.ProgramID}), opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Mux())
	t.Cleanup(hs.Close)
	return &rig{net: n, m: m, srv: srv, url: hs.URL, relay: relay, relayK: relayK}
}

func mustIDL(t testing.TB) *programidl.IDL {
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	return idl
}

// grantOf lets a session play move_player up to uses times and nothing else.
func grantOf(t testing.TB, uses int) *grant.Grant {
	g, err := grant.Parse([]byte(fmt.Sprintf(`{"version":1,"targetProgram":%q,"permissions":[
	  {"type":"instructions","data":{"allow":["move_player"]}},{"type":"max-uses","data":{"count":%d}}]}`, examplegame.ProgramID, uses)))
	require.NoError(t, err)
	return g
}

func (r *rig) balance(t *testing.T, pk solana.PublicKey) uint64 {
	res, err := r.net.RPC().GetBalance(context.Background(), pk, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	return res.Value
}

func (r *rig) exists(t *testing.T, pk solana.PublicKey) bool {
	res, err := r.net.RPC().GetAccountInfoWithOpts(context.Background(), pk, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if err != nil && strings.Contains(err.Error(), "not found") {
		return false
	}
	require.NoError(t, err)
	return res != nil && res.Value != nil && res.Value.Lamports > 0
}

// gold is a token the tests grant sessions: 6 decimals, minted by issuer.
type gold struct {
	mint   solana.PublicKey
	issuer solana.PrivateKey
}

func newGold(t *testing.T, n *localnet.Net) gold {
	ctx := context.Background()
	issuer, err := n.NewFundedKey(ctx, 1_000_000_000)
	require.NoError(t, err)
	mint := solana.NewWallet().PrivateKey
	rent, err := n.RPC().GetMinimumBalanceForRentExemption(ctx, 82, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	init, err := spl.InitializeMint2(spl.TokenProgramID, mint.PublicKey(), issuer.PublicKey(), 6)
	require.NoError(t, err)
	_, err = n.Send(ctx, issuer, []solana.Instruction{system.NewCreateAccountInstruction(rent, 82, spl.TokenProgramID, issuer.PublicKey(), mint.PublicKey()).Build(), init}, mint)
	require.NoError(t, err)
	return gold{mint: mint.PublicKey(), issuer: issuer}
}

// mintTo gives owner amount in its associated token account and returns the account.
func (g gold) mintTo(t *testing.T, n *localnet.Net, owner solana.PublicKey, amount uint64) solana.PublicKey {
	ata, err := spl.AssociatedTokenAddress(owner, g.mint, spl.TokenProgramID)
	require.NoError(t, err)
	create, err := spl.CreateIdempotent(g.issuer.PublicKey(), owner, g.mint, spl.TokenProgramID)
	require.NoError(t, err)
	mint, err := spl.MintTo(spl.TokenProgramID, g.mint, ata, g.issuer.PublicKey(), amount)
	require.NoError(t, err)
	_, err = n.Send(context.Background(), g.issuer, []solana.Instruction{create, mint})
	require.NoError(t, err)
	return ata
}

func tokenBalance(t *testing.T, n *localnet.Net, account solana.PublicKey) uint64 {
	res, err := n.RPC().GetAccountInfoWithOpts(context.Background(), account, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if errors.Is(err, rpc.ErrNotFound) {
		return 0
	}
	require.NoError(t, err)
	a, err := spl.DecodeTokenAccount(res.Value.Data.GetBinary())
	require.NoError(t, err)
	return a.Amount
}

func TestBrowserServerHeldKey(t *testing.T) { browserFlow(t, sessionweb.ModeServer) }

func TestBrowserBrowserHeldKey(t *testing.T) { browserFlow(t, sessionweb.ModeBrowser) }

// browserFlow is the whole page in headless chromium with the test wallet: one prompt
// creates the session, 20 moves and more after a reload need none, a move outside the
// grant is refused with the typed error on the page, and revoke returns every lamport.
func browserFlow(t *testing.T, mode string) {
	bctx := browser(t)
	n := localnettest.ForTest(t)
	g := newGold(t, n)
	// Each session gets 0.01 SOL (server-held: its moves' fees) and 50 GOLD, which the
	// revoke returns.
	tokens := []session.TokenGrant{{Mint: g.mint, Amount: 50_000_000, Mode: session.TokenTopUp}}
	r := newRig(t,
		sessionweb.WithCreateParams(sessionweb.ModeServer, session.CreateParams{Kind: session.KindV1, TopUp: 10_000_000, ValidFor: time.Hour, Grant: grantOf(t, 100), Tokens: tokens}),
		sessionweb.WithCreateParams(sessionweb.ModeBrowser, session.CreateParams{Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour, Grant: grantOf(t, 100), Tokens: tokens}))
	wallet, err := r.net.NewFundedKey(context.Background(), 1_000_000_000)
	require.NoError(t, err)
	walletGold := g.mintTo(t, n, wallet.PublicKey(), 80_000_000)
	start, relayStart := r.balance(t, wallet.PublicKey()), r.balance(t, r.relay.PublicKey())
	playerRent, err := r.net.RPC().GetMinimumBalanceForRentExemption(context.Background(), examplegame.PlayerSize, rpc.CommitmentConfirmed)
	require.NoError(t, err)

	_, err = chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: testWallet(wallet)})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(r.url+"/")))
	loaded(t, bctx)
	eval[string](t, bctx, `demo.connect()`)
	type created struct{ Token, Signer string }
	c := eval[created](t, bctx, `demo.create(`+fmt.Sprintf("%q", mode)+`)`)
	eval[bool](t, bctx, `(async () => { for (let i = 0; i < 20; i++) await demo.move("up"); await demo.refresh(); return true })()`)
	require.Equal(t, 1, eval[int](t, bctx, `window.__prompts`), "one wallet prompt for the create and 20 moves")
	require.Equal(t, uint64(30_000_000), tokenBalance(t, n, walletGold))
	require.Equal(t, "50.000000 of "+g.mint.String()[:6]+"…", eval[string](t, bctx, `document.getElementById("tokens").textContent`), "the page shows the token cap")
	token, signer := solana.MustPublicKeyFromBase58(c.Token), solana.MustPublicKeyFromBase58(c.Signer)
	player, err := examplegame.Game{ID: examplegame.ProgramID}.Player(wallet.PublicKey())
	require.NoError(t, err)

	if mode == sessionweb.ModeBrowser {
		exported := eval[string](t, bctx, `crypto.subtle.exportKey("pkcs8", demo.client.current.keyPair.privateKey).then(() => "exported", e => e.name)`)
		require.Equal(t, "InvalidAccessError", exported, "the session key is not extractable")
	}

	// A reload: the page resumes the session from IndexedDB and keeps playing.
	require.NoError(t, chromedp.Do(bctx, chromedp.Reload()))
	loaded(t, bctx)
	resumed := eval[string](t, bctx, `demo.connect().then(() => demo.client.current && demo.client.current.token)`)
	eval[bool](t, bctx, `(async () => { await demo.move("right"); await demo.move("right"); await demo.refresh(); return true })()`)
	require.Equal(t, c.Token, resumed)
	if mode == sessionweb.ModeBrowser {
		exported := eval[string](t, bctx, `crypto.subtle.exportKey("pkcs8", demo.client.current.keyPair.privateKey).then(() => "exported", e => e.name)`)
		require.Equal(t, "InvalidAccessError", exported, "still not extractable after IndexedDB")
	}
	state := playerState(t, r, player)
	require.Equal(t, examplegame.PlayerAccount{Owner: wallet.PublicKey(), X: 2, Y: 20, Moves: 22}, state)

	// Outside the grant: refused, and the page shows the typed error.
	type refusal struct{ Code, Bound string }
	refused := eval[refusal](t, bctx, `demo.cheat()`)
	shown := eval[string](t, bctx, `document.getElementById("error").textContent`)
	require.Equal(t, sessionweb.CodeRefused, refused.Code)
	require.Equal(t, "instruction-not-allowed", refused.Bound)
	require.Contains(t, shown, "refused (instruction-not-allowed)")

	if mode == sessionweb.ModeBrowser {
		eval[bool](t, bctx, `demo.refresh().then(() => true)`)
		buf, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(buf, []byte("\x89PNG\r\n")), "the screenshot is a PNG")
		// docs/web-demo.png is rewritten only on request, so a test run leaves the tree clean.
		out := filepath.Join(t.TempDir(), "web-demo.png")
		if os.Getenv("SESSIONKIT_UPDATE_SCREENSHOT") != "" {
			out = filepath.Join("..", "docs", "web-demo.png")
		}
		require.NoError(t, os.WriteFile(out, buf, 0o644))
	}

	type landed struct{ Signature string }
	require.NotEmpty(t, eval[landed](t, bctx, `demo.revoke()`).Signature)
	require.False(t, r.exists(t, token), "token closed")
	require.False(t, r.exists(t, signer), "signer swept")
	require.Equal(t, uint64(80_000_000), tokenBalance(t, n, walletGold), "every token came back")
	signerGold, err := spl.AssociatedTokenAddress(signer, g.mint, spl.TokenProgramID)
	require.NoError(t, err)
	require.False(t, r.exists(t, signerGold), "the session's token account is closed")
	require.Nil(t, eval[any](t, bctx, `demo.client.resume()`), "the page forgot the session")

	// Every lamport: the wallet paid the create's signatures and the player's rent; in
	// server mode the moves and the revoke came out of the top-up it got back.
	switch mode {
	case sessionweb.ModeServer:
		require.Equal(t, start-2*fee-playerRent-22*fee-fee, r.balance(t, wallet.PublicKey()))
		require.Equal(t, relayStart, r.balance(t, r.relay.PublicKey()))
	case sessionweb.ModeBrowser:
		require.Equal(t, start-2*fee-playerRent, r.balance(t, wallet.PublicKey()))
		require.Equal(t, relayStart-22*2*fee-2*fee, r.balance(t, r.relay.PublicKey()), "the relay paid the moves and the revoke (signed by the page's key too: it closes the session's token account)")
	}
}

func playerState(t *testing.T, r *rig, player solana.PublicKey) examplegame.PlayerAccount {
	res, err := r.net.RPC().GetAccountInfoWithOpts(context.Background(), player, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	require.NoError(t, err)
	p, err := examplegame.DecodePlayer(res.Value.Data.GetBinary())
	require.NoError(t, err)
	return *p
}
