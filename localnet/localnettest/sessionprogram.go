package localnettest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

// Every test that loads the session program takes it from here, so that one variable
// runs the whole suite against another build (`make test-upstream SO=path`):
//
//   - EnvSessionELF, a session-keys .so to load instead of ours;
//   - EnvSessionID, the id to load it at instead of pda.MagicBlockProgramID (a build
//     compiled for another id refuses to run elsewhere, DeclaredProgramIdMismatch).
//
// The example game trusts tokens owned by pda.MagicBlockProgramID only, so its tests
// need the session program there.
const (
	EnvSessionELF = "SESSIONKIT_SESSION_ELF"
	EnvSessionID  = "SESSIONKIT_SESSION_ID"
)

var sessionProgram = sync.OnceValues(func() (localnet.Program, error) {
	p := localnet.Program{ID: pda.MagicBlockProgramID, ELF: gplsession.ELF()}
	if s := os.Getenv(EnvSessionID); s != "" {
		id, err := solana.PublicKeyFromBase58(s)
		if err != nil {
			return p, fmt.Errorf("localnettest: %s=%q: %w", EnvSessionID, s, err)
		}
		p.ID = id
	}
	if path := os.Getenv(EnvSessionELF); path != "" {
		elf, err := os.ReadFile(path)
		if err != nil {
			return p, fmt.Errorf("localnettest: %s: %w", EnvSessionELF, err)
		}
		p.ELF = elf
	}
	return p, nil
})

// SessionProgram is the session program the tests load: ours at
// pda.MagicBlockProgramID unless EnvSessionELF or EnvSessionID say otherwise. A bad
// variable ends the test binary: nothing it would test means anything.
func SessionProgram() localnet.Program {
	p, err := sessionProgram()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return p
}

// SessionProgramID is SessionProgram's id.
func SessionProgramID() solana.PublicKey { return SessionProgram().ID }

// ForeignSessionBuild reports whether the tests run against a build other than ours.
func ForeignSessionBuild() bool { return os.Getenv(EnvSessionELF) != "" }

var (
	probeMu sync.Mutex
	probed  = map[client.InstructionKind]bool{}
)

// RequireSessionInstruction stops t unless the loaded session program has the
// instruction kind: it skips, naming the instruction, when a foreign build (see
// EnvSessionELF) lacks it outside CI, and fails otherwise (our build has all five).
func RequireSessionInstruction(t testing.TB, n *localnet.Net, kind client.InstructionKind) {
	t.Helper()
	probeMu.Lock()
	has, ok := probed[kind]
	probeMu.Unlock()
	if !ok {
		var err error
		if has, err = HasSessionInstruction(context.Background(), n, SessionProgramID(), kind); err != nil {
			t.Fatalf("localnettest: probing the session program for %s: %v", kind, err)
		}
		probeMu.Lock()
		probed[kind] = has
		probeMu.Unlock()
	}
	switch {
	case has:
	case ForeignSessionBuild() && os.Getenv("CI") == "":
		t.Skipf("the session build in %s has no %s instruction", os.Getenv(EnvSessionELF), kind)
	default:
		t.Fatalf("the session program has no %s instruction", kind)
	}
}

// HasSessionInstruction probes the session program at programID for kind by simulating
// the instruction's bare discriminator: Anchor dispatches on it before it looks at any
// account, so a build without the instruction answers InstructionFallbackNotFound (101)
// and one with it fails later, for the missing accounts.
func HasSessionInstruction(ctx context.Context, n *localnet.Net, programID solana.PublicKey, kind client.InstructionKind) (bool, error) {
	payer, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL/100)
	if err != nil {
		return false, err
	}
	key, err := txn.SessionKeyFromPrivateKey(payer)
	if err != nil {
		return false, err
	}
	disc := kind.Discriminator()
	bh, err := n.RPC().GetLatestBlockhash(ctx, rpc.CommitmentConfirmed)
	if err != nil {
		return false, err
	}
	msg, err := txn.CompileLegacy(key.PublicKey(), bh.Value.Blockhash, solana.NewInstruction(programID, nil, disc[:]))
	if err != nil {
		return false, err
	}
	wire, err := msg.Sign(key)
	if err != nil {
		return false, err
	}
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		return false, err
	}
	res, err := n.RPC().SimulateTransactionWithOpts(ctx, tx, &rpc.SimulateTransactionOpts{Commitment: rpc.CommitmentConfirmed})
	if err != nil {
		return false, err
	}
	simErr := txn.ParseSimulation(res.Value)
	if simErr == nil {
		return false, fmt.Errorf("%s with no accounts succeeded", kind)
	}
	return !errors.Is(simErr, txn.ErrInstructionFallbackNotFound), nil
}

var lamportsProbe struct {
	once sync.Once
	has  bool
	err  error
}

// RequireLamportsArgument stops t unless the loaded session program honours
// create_session's lamports argument (builds before January 2025 top up the default 0.01
// SOL whatever it says): it skips when a foreign build ignores it outside CI, and fails
// otherwise.
func RequireLamportsArgument(t testing.TB, n *localnet.Net) {
	t.Helper()
	lamportsProbe.once.Do(func() {
		lamportsProbe.has, lamportsProbe.err = HonoursLamports(context.Background(), n, SessionProgramID())
	})
	switch {
	case lamportsProbe.err != nil:
		t.Fatalf("localnettest: probing the session program's top-up: %v", lamportsProbe.err)
	case lamportsProbe.has:
	case ForeignSessionBuild() && os.Getenv("CI") == "":
		t.Skipf("the session build in %s ignores create_session's lamports argument (a top-up is always %d lamports)",
			os.Getenv(EnvSessionELF), client.DefaultTopUpLamports)
	default:
		t.Fatal("the session program ignores create_session's lamports argument")
	}
}

// HonoursLamports creates a session with a top-up of 1,234,567 lamports on the
// cluster and reports whether the session signer received that amount.
func HonoursLamports(ctx context.Context, n *localnet.Net, programID solana.PublicKey) (bool, error) {
	authority, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL/10)
	if err != nil {
		return false, err
	}
	signer := solana.NewWallet().PrivateKey
	const amount = 1_234_567
	ix, err := client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: programID,
	}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(amount)), ProgramID: programID})
	if err != nil {
		return false, err
	}
	if _, err := n.Send(ctx, authority, []solana.Instruction{ix}, signer); err != nil {
		return false, err
	}
	bal, err := n.RPC().GetBalance(ctx, signer.PublicKey(), rpc.CommitmentConfirmed)
	if err != nil {
		return false, err
	}
	return bal.Value == amount, nil
}

// RequireOwnSessionBuild stops a test that pins our build's own answers (a golden file,
// say): it skips when a foreign build is loaded outside CI, saying why.
func RequireOwnSessionBuild(t testing.TB, why string) {
	t.Helper()
	if ForeignSessionBuild() && os.Getenv("CI") == "" {
		t.Skipf("the session build in %s is not sessionkit's: %s", os.Getenv(EnvSessionELF), why)
	}
}
