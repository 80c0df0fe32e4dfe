//go:build unix

package localnet

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
)

// launcherConfig is the file the launcher reads from its first argument.
type launcherConfig struct {
	Programs []launcherProgram `json:"programs"`
	// OwnDir is removed by the launcher when it exits.
	OwnDir string `json:"ownDir"`
}

type launcherProgram struct {
	ProgramID string `json:"programId"`
	SoPath    string `json:"soPath"`
}

// launcherReady is the part of the launcher's one JSON line on stdout that Start
// uses (launcher.js documents the rest).
type launcherReady struct {
	RPCURL string `json:"rpcUrl"`
	WSURL  string `json:"wsUrl"`
	Error  string `json:"error"`
}

func startEmbedded(ctx context.Context, cfg config) (_ *Net, err error) {
	dir, err := Install(ctx, cfg.cacheDir, cfg.log)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, ErrNodeMissing
	}
	timeout := cfg.startTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrStartTimeout)
	defer cancel()

	tmp, err := os.MkdirTemp("", "sessionkit-localnet-")
	if err != nil {
		return nil, fmt.Errorf("localnet: %w", err)
	}
	n := &Net{tmpDir: tmp, faucet: newFaucet()}
	out := newTail(16<<10, cfg.log)
	defer func() {
		if err != nil {
			_ = n.Close()
			var se *StartError
			if !errors.As(err, &se) {
				err = &StartError{Backend: Embedded, Err: err, Output: out.String()}
			}
		}
	}()

	lc := launcherConfig{Programs: []launcherProgram{}, OwnDir: tmp}
	for _, p := range cfg.programs {
		path, err := writeProgram(tmp, p)
		if err != nil {
			return nil, err
		}
		lc.Programs = append(lc.Programs, launcherProgram{ProgramID: p.ID.String(), SoPath: path})
	}
	cfgPath := filepath.Join(tmp, "launcher.json")
	b, err := json.Marshal(lc)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, err
	}

	// Plain pipes rather than exec's helpers: stdin must stay open for the
	// runtime's whole life (its EOF is the launcher's signal that we died),
	// and stdout is read independently of Wait.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		_ = stdinR.Close()
		_ = stdinW.Close()
		return nil, err
	}
	cmd := exec.Command(node, filepath.Join(dir, "launcher.js"), cfgPath)
	cmd.Dir = tmp
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinR, stdoutW, out
	proc, err := startProcess(cmd)
	_ = stdinR.Close()
	_ = stdoutW.Close()
	if err != nil {
		_ = stdinW.Close()
		_ = stdoutR.Close()
		return nil, err
	}
	proc.stdin = stdinW
	n.proc = proc

	ready := make(chan launcherReady, 1)
	go func() {
		defer stdoutR.Close()
		r := bufio.NewReader(stdoutR)
		line, err := r.ReadBytes('\n')
		var msg launcherReady
		if err == nil {
			if jerr := json.Unmarshal(line, &msg); jerr != nil {
				msg.Error = fmt.Sprintf("unexpected launcher output %q", line)
			}
		} else {
			msg.Error = "launcher exited before it was ready"
		}
		ready <- msg
		_, _ = io.Copy(out, r)
	}()

	var msg launcherReady
	select {
	case msg = <-ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if msg.Error != "" {
		// Give the launcher a moment to flush the reason to stderr.
		select {
		case <-proc.done:
		case <-time.After(time.Second):
		}
		return nil, errors.New(msg.Error)
	}

	n.info = Info{RPCURL: msg.RPCURL, WSURL: msg.WSURL, PID: proc.pid()}
	n.client = sender.NewRPCClient(msg.RPCURL, nil)
	if err := n.setupEmbedded(ctx, cfg); err != nil {
		return nil, err
	}
	if err := n.firstBlock(ctx); err != nil {
		return nil, err
	}
	// Surfpool confirms a transaction within milliseconds, so the poll
	// interval is most of Send's latency.
	if err := n.startSender(5 * time.Millisecond); err != nil {
		return nil, err
	}
	n.clock = startClockFollower(n.client)
	return n, nil
}

// firstBlock makes the runtime's first block and waits for it. Until then
// surfpool reports its start-up block height (about 30), and afterwards counts
// from 1 again: a blockhash read earlier claims a later last valid height than
// those of the next 30 blocks, and the blockhash cache, which never steps back,
// would keep handing it out, so that repeated identical transactions would be
// one. A transaction makes a block at once; the first slot tick comes only
// about 70 ms after start-up.
func (n *Net) firstBlock(ctx context.Context) error {
	res, err := n.client.GetLatestBlockhash(ctx, rpc.CommitmentConfirmed)
	if err != nil {
		return fmt.Errorf("getLatestBlockhash: %w", err)
	}
	faucet := n.faucet.PublicKey()
	tx, err := solana.NewTransaction([]solana.Instruction{system.NewTransferInstruction(0, faucet, faucet).Build()},
		res.Value.Blockhash, solana.TransactionPayer(faucet))
	if err != nil {
		return err
	}
	msg, err := tx.Message.MarshalBinary()
	if err != nil {
		return err
	}
	tx.Signatures = []solana.Signature{n.faucet.Sign(msg)}
	if _, err := n.client.SendTransactionWithOpts(ctx, tx, rpc.TransactionOpts{SkipPreflight: true}); err != nil {
		return fmt.Errorf("sendTransaction: %w", err)
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		// Not getSlot: surfpool answers it one slot behind.
		ei, err := n.client.GetEpochInfo(ctx, rpc.CommitmentConfirmed)
		if err != nil {
			return fmt.Errorf("getEpochInfo: %w", err)
		}
		if ei.AbsoluteSlot > res.Context.Slot {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// setupEmbedded applies what the launcher does not: program authorities and
// accounts, through surfpool's cheatcode RPC methods.
func (n *Net) setupEmbedded(ctx context.Context, cfg config) error {
	for _, p := range cfg.programs {
		// Without an explicit authority the program is made immutable, like
		// test-validator's --bpf-program.
		var auth any
		if p.UpgradeAuthority != nil {
			auth = p.UpgradeAuthority.String()
		}
		var out any
		if err := n.client.RPCCallForInto(ctx, &out, "surfnet_setProgramAuthority", []any{p.ID.String(), auth}); err != nil {
			return fmt.Errorf("setting upgrade authority of %s: %w", p.ID, err)
		}
	}
	for _, a := range cfg.startAccounts(n.faucet.PublicKey()) {
		if err := n.setAccount(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (n *Net) setAccount(ctx context.Context, a Account) error {
	var out any
	err := n.client.RPCCallForInto(ctx, &out, "surfnet_setAccount", []any{a.Address.String(), map[string]any{
		"lamports":   a.Lamports,
		"owner":      a.Owner.String(),
		"data":       hex.EncodeToString(a.Data),
		"executable": a.Executable,
	}})
	if err != nil {
		return fmt.Errorf("creating account %s: %w", a.Address, err)
	}
	return nil
}
