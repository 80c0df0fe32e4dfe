package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/deploy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

func TestMain(m *testing.M) { localnettest.RunMain(m) }

var (
	memoID  = solana.MustPublicKeyFromBase58("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
	tokenID = solana.TokenProgramID
)

// preloadedELF returns the ELF of a program the runtime ships: loader-v2
// programs keep it in the program account, loader-v3 ones in programdata.
func preloadedELF(t *testing.T, n *localnet.Net, id solana.PublicKey) []byte {
	t.Helper()
	ctx := context.Background()
	acc, err := n.RPC().GetAccountInfo(ctx, id)
	if err != nil {
		t.Fatalf("reading %s: %v", id, err)
	}
	if !acc.Value.Owner.Equals(deploy.LoaderID) {
		return acc.Value.Data.GetBinary()
	}
	pd, err := deploy.FetchProgramData(ctx, n.RPC(), id)
	if err != nil {
		t.Fatal(err)
	}
	return pd.ELF
}

func memoInstruction(program solana.PublicKey, text string) solana.Instruction {
	return solana.NewInstruction(program, solana.AccountMetaSlice{}, []byte(text))
}

func transactionLogs(t *testing.T, n *localnet.Net, sig solana.Signature) []string {
	t.Helper()
	v := uint64(0)
	res, err := n.RPC().GetTransaction(context.Background(), sig, &rpc.GetTransactionOpts{
		Commitment:                     rpc.CommitmentConfirmed,
		MaxSupportedTransactionVersion: &v,
	})
	if err != nil {
		t.Fatalf("getTransaction %s: %v", sig, err)
	}
	return res.Meta.LogMessages
}

func TestDeployInvokeUpgradeSetAuthority(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	memoELF := preloadedELF(t, n, memoID)
	tokenELF := preloadedELF(t, n, tokenID)
	if !bytes.HasPrefix(memoELF, []byte("\x7fELF")) || !bytes.HasPrefix(tokenELF, []byte("\x7fELF")) {
		t.Fatalf("preloaded programs are not ELF files: % x / % x", memoELF[:4], tokenELF[:4])
	}
	payer, err := n.NewFundedKey(ctx, 100*solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	authority := solana.NewWallet().PrivateKey
	program := solana.NewWallet().PrivateKey
	authorityKey, err := txn.SessionKeyFromPrivateKey(authority)
	if err != nil {
		t.Fatal(err)
	}

	id, err := deploy.Deploy(ctx, n.RPC(), payer, program, memoELF, deploy.Params{Authority: authorityKey})
	if err != nil {
		t.Fatal(err)
	}
	if !id.Equals(program.PublicKey()) {
		t.Fatalf("Deploy returned %s, want %s", id, program.PublicKey())
	}
	acc, err := n.RPC().GetAccountInfo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Value.Executable || !acc.Value.Owner.Equals(deploy.LoaderID) {
		t.Fatalf("program account: executable=%v owner=%s", acc.Value.Executable, acc.Value.Owner)
	}
	pd, err := deploy.FetchProgramData(ctx, n.RPC(), id)
	if err != nil {
		t.Fatal(err)
	}
	if pd.Authority == nil || !pd.Authority.Equals(authority.PublicKey()) {
		t.Fatalf("authority = %v, want %s", pd.Authority, authority.PublicKey())
	}
	if len(pd.ELF) != 2*len(memoELF) || !bytes.Equal(pd.ELF[:len(memoELF)], memoELF) {
		t.Fatalf("programdata holds %d bytes, want the memo ELF padded to %d", len(pd.ELF), 2*len(memoELF))
	}

	sig, err := n.Send(ctx, payer, []solana.Instruction{memoInstruction(id, "hello sessionkit")})
	if err != nil {
		t.Fatal(err)
	}
	logs := strings.Join(transactionLogs(t, n, sig), "\n")
	if !strings.Contains(logs, "Program log: Memo (len 16)\nProgram log: hello sessionkit") || !strings.Contains(logs, "Program "+id.String()+" success") {
		t.Fatalf("memo logs:\n%s", logs)
	}

	// The token ELF is far larger than the memo's capacity, so this also
	// covers extending programdata.
	if err := deploy.Upgrade(ctx, n.RPC(), payer, authority, id, tokenELF, deploy.Params{}); err != nil {
		t.Fatal(err)
	}
	pd2, err := deploy.FetchProgramData(ctx, n.RPC(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pd2.ELF[:len(tokenELF)], tokenELF) || pd2.Slot <= pd.Slot {
		t.Fatalf("after upgrade: ELF prefix matches=%v, slot %d -> %d", bytes.Equal(pd2.ELF[:len(tokenELF)], tokenELF), pd.Slot, pd2.Slot)
	}
	// The token program does not understand memo text, so the same call now fails.
	_, err = n.Send(ctx, payer, []solana.Instruction{memoInstruction(id, "hello sessionkit")})
	var txErr *sender.FailedError
	if !errors.As(err, &txErr) || !txErr.Preflight {
		t.Fatalf("memo call after upgrade to token: err = %v, want a preflight failure", err)
	}

	next := solana.NewWallet().PrivateKey
	nextPK := next.PublicKey()
	if err := deploy.SetAuthority(ctx, n.RPC(), payer, authority, id, &nextPK); err != nil {
		t.Fatal(err)
	}
	pd3, err := deploy.FetchProgramData(ctx, n.RPC(), id)
	if err != nil {
		t.Fatal(err)
	}
	if pd3.Authority == nil || !pd3.Authority.Equals(nextPK) {
		t.Fatalf("authority after SetAuthority = %v, want %s", pd3.Authority, nextPK)
	}
	// The old authority can no longer upgrade.
	err = deploy.Upgrade(ctx, n.RPC(), payer, authority, id, memoELF, deploy.Params{})
	var step *deploy.Error
	if !errors.As(err, &step) || step.Step != "upgrade" {
		t.Fatalf("upgrade by the old authority: err = %v, want a failed upgrade step", err)
	}
	if err := deploy.SetAuthority(ctx, n.RPC(), payer, next, id, nil); err != nil {
		t.Fatal(err)
	}
	err = deploy.Upgrade(ctx, n.RPC(), payer, next, id, memoELF, deploy.Params{})
	if !errors.Is(err, deploy.ErrNotUpgradeable) {
		t.Fatalf("upgrade of a finalised program: err = %v, want ErrNotUpgradeable", err)
	}
}

func TestDeployRejectsInvalidELF(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	elf := bytes.Clone(preloadedELF(t, n, memoID))
	// Claim a 32-bit ELF class: the loader's verifier must refuse it.
	elf[4] = 1
	payer, err := n.NewFundedKey(ctx, 10*solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	program := solana.NewWallet().PrivateKey
	_, err = deploy.Deploy(ctx, n.RPC(), payer, program, elf, deploy.Params{})
	var step *deploy.Error
	var txErr *sender.FailedError
	if !errors.As(err, &step) || step.Step != "deploy program" || !errors.As(err, &txErr) || !txErr.Preflight ||
		!strings.Contains(err.Error(), "\n  Failed to parse ELF file: invalid file header\n") {
		t.Fatalf("Deploy of a corrupt ELF: err = %v, want the verifier's rejection in the deploy step with its logs", err)
	}
	if _, err := n.RPC().GetAccountInfo(ctx, program.PublicKey()); !errors.Is(err, rpc.ErrNotFound) {
		t.Fatalf("program account after failed deploy: err = %v, want not found", err)
	}
}

// WriteBuffer leaves a loader-v3 buffer that names its authority and holds the ELF,
// ready for an upgrade that another party signs.
func TestWriteBuffer(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	payer, err := n.NewFundedKey(ctx, 10*solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	authority := solana.NewWallet().PrivateKey
	elf := preloadedELF(t, n, memoID)
	buffer, err := deploy.WriteBuffer(ctx, n.RPC(), payer, authority, elf, deploy.Params{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := n.RPC().GetAccountInfoWithOpts(ctx, buffer, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if err != nil {
		t.Fatal(err)
	}
	data := acc.Value.Data.GetBinary()
	// UpgradeableLoaderState::Buffer: u32 tag 1, Some(authority), then the bytes.
	if !acc.Value.Owner.Equals(deploy.LoaderID) || len(data) != 37+len(elf) {
		t.Fatalf("buffer owned by %s with %d bytes, want the loader and %d", acc.Value.Owner, len(data), 37+len(elf))
	}
	if data[0] != 1 || data[4] != 1 || !bytes.Equal(data[5:37], authority.PublicKey().Bytes()) {
		t.Fatalf("buffer header % x, want Buffer with authority %s", data[:37], authority.PublicKey())
	}
	if !bytes.Equal(data[37:], elf) {
		t.Fatal("buffer bytes differ from the ELF")
	}
	if _, err := deploy.WriteBuffer(ctx, n.RPC(), payer, authority, nil, deploy.Params{}); !errors.Is(err, deploy.ErrEmptyELF) {
		t.Fatalf("WriteBuffer of nothing = %v, want ErrEmptyELF", err)
	}
}
