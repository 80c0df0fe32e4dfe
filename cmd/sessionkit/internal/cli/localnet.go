package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

// upInfo is what localnet up prints as JSON: the localnet.Info contract plus the
// programs loaded.
type upInfo struct {
	localnet.Info
	Programs []loadedProgram `json:"programs"`
}

type loadedProgram struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// upConfig is the cluster the flags ask for, kept so that writeUp can print the
// balances: localnet's options cannot be read back.
type upConfig struct {
	programs []localnet.Program
	funded   map[solana.PublicKey]uint64
}

func (c upConfig) options() []localnet.Option {
	opts := []localnet.Option{localnet.WithPrograms(c.programs...)}
	for pk, lamports := range c.funded {
		opts = append(opts, localnet.WithFunded(pk, lamports))
	}
	return opts
}

func (a *app) localnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a local Solana cluster with the session program loaded",
		Example: `  sessionkit localnet up
  sessionkit localnet up --output json`,
		Args: noArgs,
	}
	cmd.AddCommand(a.localnetUpCmd(), a.localnetWarpCmd())
	return cmd
}

func (a *app) localnetWarpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "warp <duration|RFC 3339 time>",
		Short: "Move a running local cluster's clock forward",
		Long: `Move the Clock sysvar of the embedded cluster at --url forward, by a duration from
its current time (90m, 2h, 7d) or to an RFC 3339 time, e.g. to see a session expire
without waiting. The clock never moves back; it keeps following wall time once wall
time has caught up with it.`,
		Example: `  sessionkit -u http://127.0.0.1:8899 localnet warp 2h
  sessionkit -u l localnet warp 2030-01-01T00:00:00Z`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c := a.rpcClient()
			m, _, err := a.manager(c, false)
			if err != nil {
				return err
			}
			from, err := m.ClusterTime(ctx)
			if err != nil {
				return err
			}
			to, err := time.Parse(time.RFC3339, args[0])
			if err != nil {
				d, ok := parseWarp(args[0])
				if !ok {
					return usageError("", "warp %q: want a positive duration such as 90m, 2h or 7d, or an RFC 3339 time", args[0])
				}
				to = time.Unix(from, 0).Add(d)
			}
			if err := localnet.Warp(ctx, c, to); errors.Is(err, localnet.ErrUnsupported) {
				return usageError("", "%v", err)
			} else if err != nil {
				return err
			}
			out := struct {
				From string `json:"fromUtc"`
				To   string `json:"toUtc"`
			}{output.UTC(from), output.UTC(to.Unix())}
			if a.env.format.IsJSON() {
				return output.WriteJSON(a.io.Out, a.env.format, out)
			}
			_, err = fmt.Fprintf(a.io.Out, "Cluster clock moved from %s to %s\n", out.From, out.To)
			return err
		}),
	}
}

// defaultRPCPort is solana-test-validator's: where `-u l` and every tool look.
const defaultRPCPort = 8899

// upFlags are localnet up's choices besides the programs and balances.
type upFlags struct {
	rpcPort     int
	rpcPortSet  bool
	writeConfig string
}

func (a *app) localnetUpCmd() *cobra.Command {
	var programs, funds []string
	var uf upFlags
	cmd := &cobra.Command{
		Use:   "up [--program ID=PATH.so]... [--fund ADDRESS=SOL]...",
		Short: "Start a local cluster and keep it running until Ctrl-C",
		Long: `Start an embedded local cluster (surfpool: the Agave runtime behind a JSON-RPC and
WebSocket server on 127.0.0.1, run by Node.js) with sessionkit's session program at the
--program-id address (KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5 by default) and the
example game at B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi, plus any --program.
It prints the RPC and WebSocket URLs and runs until Ctrl-C (SIGINT), SIGTERM, or — when
its standard input is a pipe — until that pipe closes, then removes everything.

For test suites in any language: with --output json (or json-compact) it prints
exactly one JSON line, {"backend","rpcUrl","wsUrl","pid","startupNs","programs"}.
Spawn it with a pipe on stdin, read that line, and close stdin when done: the cluster
cannot outlive the suite.

SESSIONKIT_LOCALNET=test-validator runs solana-test-validator from PATH instead.`,
		Example: `  sessionkit localnet up
  sessionkit localnet up --program Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS=target/deploy/game.so
  sessionkit localnet up --fund 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2=10 --output json`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			cfg, loaded, err := a.localnetConfig(programs, funds)
			if err != nil {
				return err
			}
			uf.rpcPortSet = cmd.Flags().Changed("rpc-port")
			if uf.rpcPort < 0 || uf.rpcPort > 65534 {
				return usageError("", "--rpc-port %d: want a port from 1 to 65534 (the WebSocket takes the next), or 0 for the runtime's own", uf.rpcPort)
			}
			return a.localnetUp(cmd.Context(), cfg, loaded, uf)
		}),
	}
	cmd.Flags().IntVar(&uf.rpcPort, "rpc-port", defaultRPCPort, "serve JSON-RPC on 127.0.0.1:PORT and the WebSocket on PORT+1 (0: the runtime's own free ports); when the default ports are taken it falls back to free ones")
	cmd.Flags().StringVar(&uf.writeConfig, "write-config", "", "write a Solana CLI config file at PATH pointing at this cluster (json_rpc_url, websocket_url, keypair_path, commitment)")
	cmd.Flags().StringArrayVar(&programs, "program", nil, "also load the program in PATH.so at ID (repeatable; an ID given twice takes the last PATH)")
	cmd.Flags().StringArrayVar(&funds, "fund", nil, "give ADDRESS a balance of SOL at start (repeatable)")
	return cmd
}

func (a *app) localnetConfig(programs, funds []string) (upConfig, []loadedProgram, error) {
	cfg := upConfig{programs: []localnet.Program{
		{ID: a.env.programID, ELF: gplsession.ELF()},
		{ID: examplegame.ProgramID, ELF: examplegame.ELF()},
	}}
	names := []string{"gpl_session (sessionkit build)", "example game"}
	for _, spec := range programs {
		id, path, ok := strings.Cut(spec, "=")
		if !ok {
			return cfg, nil, usageError("", "--program %q: want ID=PATH.so", spec)
		}
		pk, err := parsePubkey("--program id", id)
		if err != nil {
			return cfg, nil, err
		}
		p, err := localnet.ProgramFile(pk, path)
		if err != nil {
			return cfg, nil, usageError("", "--program %s: %v", spec, err)
		}
		replaced := false
		for i := range cfg.programs {
			if cfg.programs[i].ID == pk {
				cfg.programs[i], names[i], replaced = p, path, true
			}
		}
		if !replaced {
			cfg.programs = append(cfg.programs, p)
			names = append(names, path)
		}
	}
	for _, spec := range funds {
		addr, amount, ok := strings.Cut(spec, "=")
		if !ok {
			return cfg, nil, usageError("", "--fund %q: want ADDRESS=SOL", spec)
		}
		pk, err := parsePubkey("--fund address", addr)
		if err != nil {
			return cfg, nil, err
		}
		lamports, err := output.ParseSOL(amount)
		if err != nil {
			return cfg, nil, usageError("", "--fund %s: %v", spec, err)
		}
		if cfg.funded == nil {
			cfg.funded = map[solana.PublicKey]uint64{}
		}
		cfg.funded[pk] = lamports
	}
	loaded := make([]loadedProgram, len(cfg.programs))
	for i, p := range cfg.programs {
		loaded[i] = loadedProgram{ID: p.ID.String(), Name: names[i]}
	}
	return cfg, loaded, nil
}

func (a *app) localnetUp(ctx context.Context, cfg upConfig, loaded []loadedProgram, uf upFlags) error {
	// The ports are claimed before the start, so that a taken one is known at once.
	var rpcLn, wsLn net.Listener
	if uf.rpcPort > 0 {
		var err error
		rpcLn, wsLn, err = listenPair(uf.rpcPort)
		switch {
		case err != nil && uf.rpcPortSet:
			return failure("choose other ports with --rpc-port, or 0 for free ones", err)
		case err != nil:
			fmt.Fprintf(a.io.Err, "Note: %v; serving on free ports instead\n", err)
		}
	}
	task := a.progress().Start("Starting the local cluster (the first run also installs its npm packages)")
	n, err := localnet.Start(ctx, cfg.options()...)
	task.Done()
	if err != nil {
		if rpcLn != nil {
			rpcLn.Close()
			wsLn.Close()
		}
		return err
	}
	defer n.Close()

	info := upInfo{Info: n.Info(), Programs: loaded}
	if rpcLn != nil {
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		if err := relay(rctx, rpcLn, info.RPCURL); err != nil {
			return err
		}
		if err := relay(rctx, wsLn, info.WSURL); err != nil {
			return err
		}
		info.RPCURL = "http://" + rpcLn.Addr().String()
		info.WSURL = "ws://" + wsLn.Addr().String()
	}
	if uf.writeConfig != "" {
		if err := writeSolanaConfig(uf.writeConfig, info.RPCURL, info.WSURL, a.env.keypairPath); err != nil {
			return err
		}
	}
	if a.env.format.IsJSON() {
		// Always one line, whatever the JSON flavour: suites read the first line.
		err = output.WriteJSON(a.io.Out, output.JSONCompact, info)
	} else {
		err = writeUp(a.io.Out, info, cfg.funded)
	}
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-pipeClosed(a.io.In):
	}
	if err := n.Close(); err != nil {
		return err
	}
	if !a.env.format.IsJSON() {
		fmt.Fprintln(a.io.Err, "Local cluster stopped.")
	}
	return nil
}

// pipeClosed is closed when in is a pipe or socket that reaches EOF, so a parent
// process's exit stops the cluster. A terminal or /dev/null is not watched: EOF there
// says nothing about the parent.
func pipeClosed(in io.Reader) <-chan struct{} {
	ch := make(chan struct{})
	f, ok := in.(*os.File)
	if !ok || f == nil {
		return ch
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return ch
	}
	go func() {
		_, _ = io.Copy(io.Discard, f)
		close(ch)
	}()
	return ch
}

func writeUp(w io.Writer, info upInfo, funded map[solana.PublicKey]uint64) error {
	fmt.Fprintf(w, "Local cluster running (%s backend, pid %d, started in %s)\n\n", info.Backend, info.PID,
		output.Duration(info.StartupTime))
	f := output.NewFields(w)
	f.Add("RPC URL", info.RPCURL)
	f.Add("WebSocket URL", info.WSURL)
	if err := f.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPrograms:")
	t := output.NewTable(w, "  ID", "PROGRAM")
	for _, p := range info.Programs {
		t.Row("  "+p.ID, p.Name)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(funded) > 0 {
		fmt.Fprintln(w, "\nFunded:")
		ft := output.NewTable(w, "  ADDRESS", "BALANCE")
		addrs := slices.SortedFunc(maps.Keys(funded), func(x, y solana.PublicKey) int {
			return strings.Compare(x.String(), y.String())
		})
		for _, pk := range addrs {
			ft.Row("  "+pk.String(), output.SOL(funded[pk]))
		}
		if err := ft.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\nTry:  sessionkit -u %s list --authority <ADDRESS>\n"+
		"      sessionkit -u %s airdrop 2 <ADDRESS>\nPress Ctrl-C to stop.\n", info.RPCURL, info.RPCURL)
	return err
}

// parseWarp reads a positive Go duration or a whole number of days, up to ten years.
func parseWarp(s string) (time.Duration, bool) {
	const day, limit = 24 * time.Hour, 3650
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * day, err == nil && n > 0 && n <= limit
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0 && d <= limit*day
}

// listenPair claims 127.0.0.1:port for JSON-RPC and port+1 for the WebSocket, as
// solana-test-validator lays them out.
func listenPair(port int) (net.Listener, net.Listener, error) {
	rpcLn, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, nil, fmt.Errorf("127.0.0.1:%d is in use", port)
	}
	wsLn, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
	if err != nil {
		rpcLn.Close()
		return nil, nil, fmt.Errorf("127.0.0.1:%d (the WebSocket port) is in use", port+1)
	}
	return rpcLn, wsLn, nil
}

// writeSolanaConfig writes a Solana CLI config file for the cluster, in the layout the
// Solana CLI writes; solanacfg reads it back.
func writeSolanaConfig(path, rpcURL, wsURL, keypair string) error {
	body := fmt.Sprintf("---\njson_rpc_url: %q\nwebsocket_url: %q\nkeypair_path: %q\ncommitment: confirmed\n", rpcURL, wsURL, keypair)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		return failure("--write-config needs a writable PATH", err)
	}
	return nil
}
