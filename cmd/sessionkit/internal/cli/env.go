package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/progress"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/solanacfg"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// globals are the flags every command takes, named as in the solana CLI.
type globals struct {
	config     string
	urls       []string
	ws         string
	keypair    string
	commitment string
	programID  string
	output     string
}

func (g *globals) register(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVarP(&g.config, "config", "C", "", "Solana CLI config file (default ~/.config/solana/cli/config.yml)")
	f.StringArrayVarP(&g.urls, "url", "u", nil, "cluster: a JSON-RPC URL or a moniker: mainnet-beta (m), devnet (d), testnet (t), localhost (l); several endpoints of one cluster comma-separated or repeated, reads failing over and sends broadcast (default from the config file, else mainnet-beta)")
	f.StringVar(&g.ws, "ws", "", "WebSocket URL for confirmations (default from the config file when the URL is too; otherwise confirmations are polled)")
	f.StringVarP(&g.keypair, "keypair", "k", "", "Solana keypair file of the authority / fee payer (default from the config file, else ~/.config/solana/id.json)")
	f.StringVar(&g.commitment, "commitment", "", "confirmed or finalized (default from the config file, else confirmed)")
	f.StringVar(&g.programID, "program-id", "magicblock", "session program: magicblock (KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5), gum (3ao63wcSRNa76bncC2M3KupNtXBFiDyNbgK52VG7dLaE) or an address")
	f.StringVar(&g.output, "output", "text", "output format: text, json or json-compact")
}

// env is what the globals and the config file resolve to.
type env struct {
	format output.Format
	rpcURL string
	// rpcURLs are every endpoint -u named, rpcURL first.
	rpcURLs     []string
	wsURL       string
	keypairPath string
	commitment  rpc.CommitmentType
	programID   solana.PublicKey
	home        string
}

// resolve applies the Solana CLI's precedence: flag, then config file, then default.
func (a *app) resolve(cmd *cobra.Command) error {
	g := a.g
	e := &env{home: a.io.Getenv("HOME"), commitment: rpc.CommitmentConfirmed}
	a.env = e
	var err error
	if e.format, err = output.ParseFormat(g.output); err != nil {
		return usageError("", "--output %w", err)
	}
	cfgPath := g.config
	if cfgPath == "" && e.home != "" {
		cfgPath = solanacfg.DefaultPath(e.home)
	}
	var cfg solanacfg.Config
	if cfgPath != "" {
		cfg, err = solanacfg.Load(cfgPath)
		switch {
		case errors.Is(err, fs.ErrNotExist) && g.config == "":
			// No Solana CLI installed: built-in defaults.
		case err != nil:
			return usageError("", "reading the Solana CLI config: %w", err)
		}
	}

	flagURLs := sender.ParseEndpoints(g.urls...)
	flagURL := strings.Join(flagURLs, ",")
	rawURLs := flagURLs
	if len(rawURLs) == 0 {
		rawURLs = []string{firstNonEmpty(cfg.JSONRPCURL, "m")}
	}
	for _, raw := range rawURLs {
		var u string
		if u, err = solanacfg.ResolveURL(raw); err != nil {
			break
		}
		e.rpcURLs = append(e.rpcURLs, u)
	}
	if err == nil {
		e.rpcURL = e.rpcURLs[0]
	}
	if err != nil {
		if flagURL == "" {
			// The URL came from the file: the file is what to fix, -u what overrides it.
			return usageError("fix json_rpc_url in "+cfgPath+", or pass -u m, d, t, l or an http(s) URL",
				"the Solana CLI config %s: json_rpc_url %w", cfgPath, err)
		}
		return usageError("use -u m, d, t, l or an http(s) URL", "--url %w", err)
	}
	switch {
	case g.ws != "":
		e.wsURL = g.ws
	case flagURL == "" && cfg.WebsocketURL != "":
		e.wsURL = cfg.WebsocketURL
	}

	e.keypairPath = firstNonEmpty(g.keypair, cfg.KeypairPath)
	if e.keypairPath == "" && e.home != "" {
		e.keypairPath = solanacfg.DefaultKeypairPath(e.home)
	}

	switch c := firstNonEmpty(g.commitment, cfg.Commitment); c {
	case "", "confirmed":
	case "finalized":
		e.commitment = rpc.CommitmentFinalized
	default:
		// A config file set to processed (or an old name) falls back to confirmed, the
		// weakest commitment at which sessionkit's exactly-once sends are sound; a flag is
		// a request we cannot honour.
		if g.commitment != "" {
			return usageError("sessionkit reads and sends at confirmed or finalized commitment", "--commitment %q is not supported", c)
		}
	}

	if e.programID, err = parseProgramID(g.programID); err != nil {
		return err
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseProgramID(s string) (solana.PublicKey, error) {
	switch strings.ToLower(s) {
	case "magicblock", "":
		return pda.MagicBlockProgramID, nil
	case "gum":
		return pda.GumProgramID, nil
	}
	return parsePubkey("--program-id", s)
}

// parsePubkey parses a base58 address; what names it in the error.
func parsePubkey(what, s string) (solana.PublicKey, error) {
	pk, err := solana.PublicKeyFromBase58(s)
	if err != nil {
		return solana.PublicKey{}, usageError("addresses are base58 strings of 32-44 characters", "invalid %s %q: %v", what, s, err)
	}
	return pk, nil
}

// rpcClient returns a client for the cluster; every command makes one. Over several
// endpoints it is a sender.Endpoints client.
func (a *app) rpcClient() *rpc.Client {
	if len(a.env.rpcURLs) > 1 {
		if eps, err := sender.NewEndpoints(a.env.rpcURLs); err == nil {
			return eps.Client(nil)
		}
		// ResolveURL admitted every URL, which NewEndpoints accepts alike.
	}
	return sender.NewRPCClient(a.env.rpcURL, nil)
}

// manager returns a session Manager. Commands that only read pass withSender false: a
// Sender starts fetching blockhashes at once, which reads have no use for.
func (a *app) manager(c *rpc.Client, withSender bool) (*session.Manager, *sender.Sender, error) {
	opts := []session.Option{session.WithProgramID(a.env.programID), session.WithCommitment(a.env.commitment)}
	if !withSender {
		return session.NewManager(c, nil, opts...), nil, nil
	}
	snd, err := sender.New(c, a.senderOptions()...)
	if err != nil {
		return nil, nil, err
	}
	return session.NewManager(c, snd, opts...), snd, nil
}

func (a *app) senderOptions() []sender.Option {
	opts := []sender.Option{sender.WithCommitment(a.env.commitment)}
	if a.env.wsURL != "" {
		opts = append(opts, sender.WithWebSocket(a.env.wsURL))
	}
	// A local cluster confirms in milliseconds; the default 400 ms poll (one slot on a
	// public cluster) would dominate every command there.
	if solanacfg.IsLoopback(a.env.rpcURL) {
		opts = append(opts, sender.WithPollInterval(localPoll))
	}
	return opts
}

const localPoll = 25 * time.Millisecond

// keypair loads the -k keypair. Errors name the file, never its content.
func (a *app) keypair(role string) (*txn.SessionKey, error) {
	return loadKeypair(a.env.keypairPath, role, "-k")
}

func loadKeypair(path, role, flag string) (*txn.SessionKey, error) {
	if path == "" {
		return nil, usageError("pass "+flag+" FILE", "no keypair for the %s", role)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure("create one with 'sessionkit keygen', or pass "+flag+" FILE",
			fmt.Errorf("no keypair file for the %s at %s", role, path))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s keypair: %w", role, err)
	}
	key, err := tokenstore.ImportSolanaKeypair(data)
	clear(data)
	if err != nil {
		return nil, failure("a keypair file is the JSON array of 64 numbers that solana-keygen and sessionkit keygen write",
			fmt.Errorf("%s keypair %s: %w", role, path, err))
	}
	return key, nil
}

// progress returns the progress reporter: on a terminal and for text output only.
func (a *app) progress() *progress.Reporter {
	return progress.New(a.io.Err, a.io.ErrTerminal && (a.env == nil || !a.env.format.IsJSON()))
}
