//go:build unix

package localnet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/sender"
)

// validatorPlan is everything solana-test-validator's command line encodes.
type validatorPlan struct {
	Ledger                          string
	RPCPort, FaucetPort, GossipPort int
	Programs                        []plannedProgram
	Accounts                        []plannedAccount
	CloneURL                        string
	Clone                           []solana.PublicKey
}

type plannedProgram struct {
	ID        solana.PublicKey
	Path      string
	Authority *solana.PublicKey
}

type plannedAccount struct {
	Address solana.PublicKey
	Path    string
}

func (p validatorPlan) args() []string {
	args := []string{
		"--ledger", p.Ledger,
		"--reset",
		"--log",
		"--bind-address", "127.0.0.1",
		"--rpc-port", strconv.Itoa(p.RPCPort),
		"--faucet-port", strconv.Itoa(p.FaucetPort),
		"--gossip-port", strconv.Itoa(p.GossipPort),
	}
	for _, prog := range p.Programs {
		if prog.Authority == nil {
			args = append(args, "--bpf-program", prog.ID.String(), prog.Path)
		} else {
			args = append(args, "--upgradeable-program", prog.ID.String(), prog.Path, prog.Authority.String())
		}
	}
	for _, a := range p.Accounts {
		args = append(args, "--account", a.Address.String(), a.Path)
	}
	if p.CloneURL != "" {
		args = append(args, "--url", p.CloneURL)
		for _, pk := range p.Clone {
			args = append(args, "--clone", pk.String())
		}
	}
	return args
}

// accountFile is the JSON layout of `solana account --output json`, which
// --account reads.
type accountFile struct {
	Pubkey  string          `json:"pubkey"`
	Account accountFileBody `json:"account"`
}

type accountFileBody struct {
	Lamports   uint64    `json:"lamports"`
	Data       [2]string `json:"data"`
	Owner      string    `json:"owner"`
	Executable bool      `json:"executable"`
	RentEpoch  uint64    `json:"rentEpoch"`
	Space      int       `json:"space"`
}

func writeAccountFile(path string, a Account) error {
	b, err := json.Marshal(accountFile{
		Pubkey: a.Address.String(),
		Account: accountFileBody{
			Lamports:   a.Lamports,
			Data:       [2]string{base64.StdEncoding.EncodeToString(a.Data), "base64"},
			Owner:      a.Owner.String(),
			Executable: a.Executable,
			Space:      len(a.Data),
		},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func startValidator(ctx context.Context, cfg config) (_ *Net, err error) {
	name := cfg.validatorPath
	if name == "" {
		name = "solana-test-validator"
	}
	exe, err := exec.LookPath(name)
	if err != nil {
		return nil, ErrValidatorMissing
	}
	timeout := cfg.startTimeout
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrStartTimeout)
	defer cancel()

	tmp, err := os.MkdirTemp("", "sessionkit-test-validator-")
	if err != nil {
		return nil, fmt.Errorf("localnet: %w", err)
	}
	n := &Net{tmpDir: tmp, faucet: newFaucet()}
	logFile, err := os.Create(filepath.Join(tmp, "validator.log"))
	if err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("localnet: %w", err)
	}
	n.logFile = logFile
	out := newTail(16<<10, io.MultiWriter(logFile, orDiscard(cfg.log)))
	defer func() {
		if err != nil {
			_ = n.Close()
			err = &StartError{Backend: TestValidator, Err: err, Output: out.String()}
		}
	}()

	plan := validatorPlan{Ledger: filepath.Join(tmp, "ledger"), CloneURL: cfg.cloneURL, Clone: cfg.clone}
	if plan.RPCPort, plan.FaucetPort, plan.GossipPort, err = freePorts(); err != nil {
		return nil, err
	}
	for _, p := range cfg.programs {
		path, err := writeProgram(tmp, p)
		if err != nil {
			return nil, err
		}
		plan.Programs = append(plan.Programs, plannedProgram{ID: p.ID, Path: path, Authority: p.UpgradeAuthority})
	}
	for _, a := range cfg.startAccounts(n.faucet.PublicKey()) {
		path := filepath.Join(tmp, a.Address.String()+".json")
		if err := writeAccountFile(path, a); err != nil {
			return nil, err
		}
		plan.Accounts = append(plan.Accounts, plannedAccount{Address: a.Address, Path: path})
	}

	cmd := exec.Command(exe, plan.args()...)
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = out, out
	if n.proc, err = startProcess(cmd); err != nil {
		return nil, err
	}

	rpcURL := "http://127.0.0.1:" + strconv.Itoa(plan.RPCPort)
	n.info = Info{
		RPCURL: rpcURL,
		WSURL:  "ws://127.0.0.1:" + strconv.Itoa(plan.RPCPort+1),
		PID:    n.proc.pid(),
	}
	n.client = sender.NewRPCClient(rpcURL, nil)
	if err := n.waitHealthy(ctx); err != nil {
		return nil, err
	}
	// Confirmation takes a few 400 ms slots here; faster polling buys nothing.
	if err := n.startSender(100 * time.Millisecond); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Net) waitHealthy(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if n.proc.exited() {
			return fmt.Errorf("exited before it was healthy: %v", n.proc.err)
		}
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		health, err := n.client.GetHealth(hctx)
		cancel()
		if err == nil && health == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// freePorts picks an RPC port whose successor (the WebSocket port) is also
// free, plus faucet and gossip ports. They are released before the validator
// binds them, so a race with another process is possible but unlikely.
func freePorts() (rpcPort, faucet, gossip int, err error) {
	for range 50 {
		var ls []net.Listener
		listen := func(addr string) int {
			l, lerr := net.Listen("tcp", addr)
			if lerr != nil {
				return 0
			}
			ls = append(ls, l)
			return l.Addr().(*net.TCPAddr).Port
		}
		rpcPort = listen("127.0.0.1:0")
		ok := rpcPort != 0 && rpcPort < 65535 && listen("127.0.0.1:"+strconv.Itoa(rpcPort+1)) != 0
		if ok {
			faucet = listen("127.0.0.1:0")
			gossip = listen("127.0.0.1:0")
			ok = faucet != 0 && gossip != 0
		}
		for _, l := range ls {
			_ = l.Close()
		}
		if ok {
			return rpcPort, faucet, gossip, nil
		}
	}
	return 0, 0, 0, errors.New("localnet: no free local ports for the validator")
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
