package program_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// feePerSignature is the cluster's base fee; tests send no priority fees.
const feePerSignature = 5000

// env is one test's handle on the package's shared cluster.
type env struct {
	t   *testing.T
	ctx context.Context
	net *localnet.Net
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, net: localnettest.ForTest(t)}
}

// wallet returns a new key holding exactly lamports.
func (e *env) wallet(lamports uint64) solana.PrivateKey {
	e.t.Helper()
	key, err := e.net.NewFundedKey(e.ctx, lamports)
	require.NoError(e.t, err)
	return key
}

func newKey(t *testing.T) solana.PrivateKey {
	t.Helper()
	key, err := solana.NewRandomPrivateKey()
	require.NoError(t, err)
	return key
}

func (e *env) balance(pk solana.PublicKey) uint64 {
	e.t.Helper()
	res, err := e.net.RPC().GetBalance(e.ctx, pk, rpc.CommitmentConfirmed)
	require.NoError(e.t, err)
	return res.Value
}

func (e *env) balances(pks ...solana.PublicKey) []uint64 {
	e.t.Helper()
	out := make([]uint64, len(pks))
	for i, pk := range pks {
		out[i] = e.balance(pk)
	}
	return out
}

func (e *env) rent(size uint64) uint64 {
	e.t.Helper()
	lamports, err := e.net.RPC().GetMinimumBalanceForRentExemption(e.ctx, size, rpc.CommitmentConfirmed)
	require.NoError(e.t, err)
	return lamports
}

// account returns the account at pk, or nil when it does not exist.
func (e *env) account(pk solana.PublicKey) *rpc.Account {
	e.t.Helper()
	res, err := e.net.RPC().GetAccountInfoWithOpts(e.ctx, pk, &rpc.GetAccountInfoOpts{
		Encoding:   solana.EncodingBase64,
		Commitment: rpc.CommitmentConfirmed,
	})
	if errors.Is(err, rpc.ErrNotFound) {
		return nil
	}
	require.NoError(e.t, err)
	return res.Value
}

// The cluster clock stands still after a time jump, so a test that pins it knows the
// exact unix_timestamp its transactions see. Jumps only go forward: the package's
// tests share one cluster.
var clock struct {
	mu   sync.Mutex
	last int64
}

// freezeClock moves the cluster clock to a fresh time past any earlier one and
// returns it.
func (e *env) freezeClock() int64 {
	e.t.Helper()
	now, err := e.net.ClusterTime(e.ctx)
	require.NoError(e.t, err)
	clock.mu.Lock()
	next := max(now.Unix(), clock.last) + 100_000
	clock.mu.Unlock()
	e.setClock(next)
	return next
}

// setClock moves the cluster clock to unix, which must not be before an earlier jump.
func (e *env) setClock(unix int64) {
	e.t.Helper()
	clock.mu.Lock()
	defer clock.mu.Unlock()
	require.GreaterOrEqual(e.t, unix, clock.last, "the clock only moves forward")
	require.NoError(e.t, e.net.WarpTime(e.ctx, time.Unix(unix, 0)))
	got, err := e.net.ClusterTime(e.ctx)
	require.NoError(e.t, err)
	require.Equal(e.t, unix, got.Unix(), "cluster clock after the jump")
	clock.last = unix
}

// landed is a confirmed transaction's outcome.
type landed struct {
	sig   solana.Signature
	units uint64
	fee   uint64
}

// send lands ixs (payer pays the fee) and requires success.
func (e *env) send(payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) landed {
	e.t.Helper()
	sig, err := e.net.Send(e.ctx, payer, ixs, signers...)
	require.NoError(e.t, client.ParseRPCError(err))
	version := uint64(0)
	tx, err := e.net.RPC().GetTransaction(e.ctx, sig, &rpc.GetTransactionOpts{
		Commitment:                     rpc.CommitmentConfirmed,
		MaxSupportedTransactionVersion: &version,
	})
	require.NoError(e.t, err)
	require.Nil(e.t, tx.Meta.Err)
	require.NotNil(e.t, tx.Meta.ComputeUnitsConsumed)
	return landed{sig: sig, units: *tx.Meta.ComputeUnitsConsumed, fee: tx.Meta.Fee}
}

// simulate runs ixs without landing them (signatures verified) and returns the compute
// units used and the typed error (nil on success).
func (e *env) simulate(payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) (uint64, error) {
	e.t.Helper()
	// A fresh blockhash keeps a simulation from repeating a landed transaction.
	hash, err := e.net.RefreshBlockhash(e.ctx)
	require.NoError(e.t, err)
	tx, err := solana.NewTransaction(ixs, hash, solana.TransactionPayer(payer.PublicKey()))
	require.NoError(e.t, err)
	keys := map[solana.PublicKey]*solana.PrivateKey{payer.PublicKey(): &payer}
	for i := range signers {
		keys[signers[i].PublicKey()] = &signers[i]
	}
	_, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey { return keys[pk] })
	require.NoError(e.t, err)
	res, err := e.net.RPC().SimulateTransactionWithOpts(e.ctx, tx, &rpc.SimulateTransactionOpts{
		SigVerify:  true,
		Commitment: rpc.CommitmentConfirmed,
	})
	require.NoError(e.t, err)
	var units uint64
	if res.Value.UnitsConsumed != nil {
		units = *res.Value.UnitsConsumed
	}
	return units, client.ParseSimulation(res.Value)
}

// requireProgramError checks that err is Custom(code) raised by program, and that it
// matches sentinel when one is given.
func requireProgramError(t *testing.T, err error, program solana.PublicKey, code uint32, sentinel error) *client.ProgramError {
	t.Helper()
	var pe *client.ProgramError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, code, pe.Code, "error code (%v)", err)
	require.NotNil(t, pe.ProgramID, "failing program in the logs")
	require.Equal(t, program, *pe.ProgramID, "failing program")
	if sentinel != nil {
		require.ErrorIs(t, err, sentinel)
	}
	return pe
}

// instruction is an editable copy of a built instruction, for sending what the
// builders refuse to build: bad arguments, missing signatures, wrong accounts.
type instruction struct {
	program solana.PublicKey
	metas   solana.AccountMetaSlice
	data    []byte
}

// edit(t)(client.NewX(...)) copies a freshly built instruction for editing.
func edit(t *testing.T) func(solana.Instruction, error) *instruction {
	return func(ix solana.Instruction, err error) *instruction {
		t.Helper()
		require.NoError(t, err)
		data, err := ix.Data()
		require.NoError(t, err)
		out := &instruction{program: ix.ProgramID(), data: append([]byte(nil), data...)}
		for _, m := range ix.Accounts() {
			meta := *m
			out.metas = append(out.metas, &meta)
		}
		return out
	}
}

func (ix *instruction) build() solana.Instruction {
	metas := make(solana.AccountMetaSlice, len(ix.metas))
	for i, m := range ix.metas {
		meta := *m
		metas[i] = &meta
	}
	return solana.NewInstruction(ix.program, metas, append([]byte(nil), ix.data...))
}

func (ix *instruction) setAccount(i int, key solana.PublicKey) *instruction {
	ix.metas[i].PublicKey = key
	return ix
}

func (ix *instruction) setSigner(i int, signer bool) *instruction {
	ix.metas[i].IsSigner = signer
	return ix
}

func (ix *instruction) setWritable(i int, writable bool) *instruction {
	ix.metas[i].IsWritable = writable
	return ix
}

func (ix *instruction) truncateAccounts(n int) *instruction {
	ix.metas = ix.metas[:n]
	return ix
}

func (ix *instruction) setData(data []byte) *instruction {
	ix.data = data
	return ix
}

// ixs wraps instructions for send and simulate.
func ixs(list ...solana.Instruction) []solana.Instruction { return list }

// must(t)(client.NewX(...)) unwraps a builder's result.
func must(t *testing.T) func(solana.Instruction, error) solana.Instruction {
	return func(ix solana.Instruction, err error) solana.Instruction {
		t.Helper()
		require.NoError(t, err)
		return ix
	}
}
