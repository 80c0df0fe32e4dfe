package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/program/gplsession"
	"github.com/sessionkit/sessionkit/sessionweb"
)

// webFunding is what each --fund wallet and the relay get on the demo cluster.
const webFunding = 10_000_000_000

func (a *app) webCmd() *cobra.Command {
	var addr string
	var fund []string
	cmd := &cobra.Command{
		Use:   "web [--addr 127.0.0.1:8080] [--fund WALLET]...",
		Short: "Serve the browser demo on an embedded local cluster",
		Long: `Start an embedded local cluster with the session program and the example game, a
relay that pays the fees of browser-held session keys, and the demo page with its ES
module (package sessionweb), then print the URL. In the page: connect a wallet-standard
wallet (pointed at the printed RPC URL), create a session with one signature (a server-
held or a browser-held key), play moves without prompts, watch the caps, revoke.
Sessions are granted move_player alone, 1000 times; the page's "outside the grant"
button shows the relay's refusal. --fund gives a wallet 10 SOL on the cluster.`,
		Example: `  sessionkit web
  sessionkit web --addr 127.0.0.1:9000 --fund 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			wallets := make([]solana.PublicKey, len(fund))
			for i, f := range fund {
				pk, err := parsePubkey("--fund", f)
				if err != nil {
					return err
				}
				wallets[i] = pk
			}
			return a.web(cmd.Context(), addr, wallets)
		}),
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve the page on (port 0: a free one)")
	cmd.Flags().StringArrayVar(&fund, "fund", nil, "a wallet to give 10 SOL on the cluster (repeatable)")
	return cmd
}

func (a *app) web(ctx context.Context, addr string, wallets []solana.PublicKey) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failure("choose another address with --addr", err)
	}
	defer ln.Close()
	relayKey, err := txn.GenerateSessionKey(nil)
	if err != nil {
		return err
	}
	defer relayKey.Zero()
	opts := []localnet.Option{localnet.WithPrograms(
		localnet.Program{ID: pda.MagicBlockProgramID, ELF: gplsession.ELF()},
		localnet.Program{ID: examplegame.ProgramID, ELF: examplegame.ELF()},
	), localnet.WithFunded(relayKey.PublicKey(), webFunding)}
	for _, w := range wallets {
		opts = append(opts, localnet.WithFunded(w, webFunding))
	}
	task := a.progress().Start("Starting the local cluster")
	n, err := localnet.Start(ctx, opts...)
	task.Done()
	if err != nil {
		return err
	}
	defer n.Close()
	idl, err := programidl.ExampleGame()
	if err != nil {
		return err
	}
	m, err := session.Dial(ctx, n.RPCURL(), session.WithWebSocketURL(n.WSURL()), session.WithIDL(examplegame.ProgramID, idl))
	if err != nil {
		return err
	}
	defer m.Close()
	g, err := grant.Parse(fmt.Appendf(nil, `{"version":1,"targetProgram":%q,"permissions":[
	  {"type":"instructions","data":{"allow":["move_player"]}},{"type":"max-uses","data":{"count":1000}}]}`, examplegame.ProgramID))
	if err != nil {
		return err
	}
	srv, err := sessionweb.New(m, examplegame.ProgramID, sessionweb.ExampleGame(examplegame.Game{ID: examplegame.ProgramID}),
		sessionweb.WithRelay(relayKey),
		sessionweb.WithCreateParams(sessionweb.ModeServer, session.CreateParams{Kind: session.KindV1, TopUp: 10_000_000, ValidFor: time.Hour, Grant: g}),
		sessionweb.WithCreateParams(sessionweb.ModeBrowser, session.CreateParams{Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour, Grant: g}))
	if err != nil {
		return err
	}
	defer srv.Close()
	hs := &http.Server{Handler: srv.Mux(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	fmt.Fprintf(a.io.Out, "Demo page: http://%s/\nCluster RPC: %s\nRelay (fee payer): %s\n", ln.Addr(), n.RPCURL(), relayKey.PublicKey())
	for _, w := range wallets {
		fmt.Fprintf(a.io.Out, "Funded %s with 10 SOL\n", w)
	}
	fmt.Fprintln(a.io.Out, "Press Ctrl-C to stop.")
	select {
	case <-ctx.Done():
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
