package session

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/pda"
)

// envCrashChild carries, to the child role of TestTokenTopUpRevokeCrash, the cluster and
// the session to revoke.
const envCrashChild = "SESSIONKIT_TEST_REVOKE_CHILD"

// crashJob is the child's assignment; the seed travels as hex through the environment
// of a test process only.
type crashJob struct {
	RPC, WS, Program string
	Token, Signer    solana.PublicKey
	Authority        solana.PublicKey
	Target, FeePayer solana.PublicKey
	Version          pda.Version
	ValidUntil       int64
	Seed             string
}

// A revoke too large for one transaction runs in steps; a process killed between two of
// them leaves nothing lost, and the next run, reading the chain afresh, finishes the job
// with every token and lamport back where it belongs.
func TestTokenTopUpRevokeCrash(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(2_000_000_000)
	const n, supply, grant = 12, 1_000_000, 400_000
	mints := make([]solana.PublicKey, n)
	walletATAs := make([]solana.PublicKey, n)
	for i := range mints {
		mints[i] = e.newMint(issuer, plainToken)
		walletATAs[i] = e.mintTo(issuer, mints[i], spl.TokenProgramID, authority.PublicKey(), supply)
	}
	start := e.balance(authority.PublicKey())
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour,
		Tokens: []TokenGrant{{Mint: mints[0], Amount: grant}, {Mint: mints[1], Amount: grant}}})
	require.NoError(t, err)
	// Later the wallet sends the session more tokens of other mints, paying their accounts.
	var rent uint64
	for i := 2; i < n; i += 5 {
		var ixs []solana.Instruction
		for j := i; j < min(i+5, n); j++ {
			create, err := spl.CreateIdempotent(authority.PublicKey(), s.SessionSigner(), mints[j], spl.TokenProgramID)
			require.NoError(t, err)
			dest, err := spl.AssociatedTokenAddress(s.SessionSigner(), mints[j], spl.TokenProgramID)
			require.NoError(t, err)
			move, err := spl.TransferChecked(spl.TokenProgramID, walletATAs[j], mints[j], dest, authority.PublicKey(), grant, 6)
			require.NoError(t, err)
			ixs = append(ixs, create, move)
		}
		_, err := e.net.Send(e.ctx, authority, ixs)
		require.NoError(t, err)
	}
	held, _, err := e.m.heldTokens(e.ctx, s.SessionSigner(), 0)
	require.NoError(t, err)
	require.Len(t, held, n)
	for _, h := range held {
		rent += h.Lamports
	}
	require.Equal(t, start-e.rentV1-5_000_000-rent-2*fee-2*fee, e.balance(authority.PublicKey()))

	// The child revokes and is killed after the first step has landed.
	snap := s.Snapshot()
	job := crashJob{RPC: e.net.RPCURL(), WS: e.net.WSURL(), Program: e.m.ProgramID().String(), Token: snap.Token, Signer: snap.SessionSigner,
		Authority: snap.Authority, Target: snap.TargetProgram, FeePayer: snap.FeePayer, Version: snap.Version, ValidUntil: snap.ValidUntil,
		Seed: hex.EncodeToString(snap.Seed[:])}
	raw, err := json.Marshal(job)
	require.NoError(t, err)
	cmd := exec.CommandContext(e.ctx, os.Args[0], "-test.run=^TestTokenTopUpRevokeCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"="+string(raw))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	var marker bool
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "REVOKE STEP 1 LANDED") {
			marker = true
			break
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.True(t, marker, "the child reported its first step")

	left, _, err := e.m.heldTokens(e.ctx, s.SessionSigner(), 0)
	require.NoError(t, err)
	require.NotEmpty(t, left, "killed midway: some token accounts remain")
	require.Less(t, len(left), n, "killed midway: the first step landed")
	require.True(t, e.exists(s.Token()), "the token is closed by the last step only")

	// The next run resumes from the store's snapshot and finishes.
	resumed, err := e.m.Resume(e.ctx, snap)
	require.NoError(t, err)
	res, err := e.m.Revoke(e.ctx, resumed, RevokeParams{})
	require.NoError(t, err)
	require.Len(t, res.Tokens, len(left), "the second run sweeps what the first left")
	for i := range mints {
		require.Equal(t, uint64(supply), e.tokens(walletATAs[i]), "mint %d fully back", i)
		ata, err := spl.AssociatedTokenAddress(s.SessionSigner(), mints[i], spl.TokenProgramID)
		require.NoError(t, err)
		require.False(t, e.exists(ata))
	}
	require.False(t, e.exists(s.Token()))
	require.False(t, e.exists(s.SessionSigner()))
	steps := 1 + len(res.Steps) + 1 // the child's step, the resumed run's steps, its final transaction
	require.Equal(t, start-2*fee-2*fee-uint64(steps)*fee, e.balance(authority.PublicKey()),
		"the wallet is out only the fees: rent, top-up and tokens came back")
}

// TestTokenTopUpRevokeCrashChild is the child role of TestTokenTopUpRevokeCrash: run by
// itself, without the environment variable, it has nothing to do.
func TestTokenTopUpRevokeCrashChild(t *testing.T) {
	raw := os.Getenv(envCrashChild)
	if raw == "" {
		return
	}
	var job crashJob
	require.NoError(t, json.Unmarshal([]byte(raw), &job))
	seed, err := hex.DecodeString(job.Seed)
	require.NoError(t, err)
	snap := Snapshot{Token: job.Token, SessionSigner: job.Signer, Authority: job.Authority, TargetProgram: job.Target,
		FeePayer: job.FeePayer, Version: job.Version, ValidUntil: job.ValidUntil, Seed: Seed(seed)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := rpc.New(job.RPC)
	snd, err := sender.New(client, sender.WithWebSocket(job.WS))
	require.NoError(t, err)
	defer snd.Close()
	m := NewManager(client, snd, WithProgramID(solana.MustPublicKeyFromBase58(job.Program)), WithCommitment(rpc.CommitmentConfirmed))
	s, err := m.Resume(ctx, snap)
	require.NoError(t, err)
	revokeStepHook = func(step int) {
		fmt.Printf("REVOKE STEP %d LANDED\n", step)
		select {} // wait to be killed
	}
	_, err = m.Revoke(ctx, s, RevokeParams{})
	t.Fatalf("the revoke ended before the parent killed it: %v", err)
}
