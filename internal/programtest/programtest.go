// Package programtest runs the tests of sessionkit's on-chain programs on one shared local cluster:
// the session program at its upstream id, fixture accounts, and helpers to send, simulate and edit.
package programtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// SessionID is where the session program runs: upstream's id, which target programs
// (the example game included) trust as token owner, unless localnettest.EnvSessionID
// says otherwise. The program tests use only the wire interface, so they check any
// build (localnettest.EnvSessionELF) against the same expectations.
var SessionID = localnettest.SessionProgramID()

// FeePerSignature is the cluster's base fee; tests send no priority fees.
const FeePerSignature = 5000

// Fixtures are accounts no instruction can produce, loaded at start to reach the
// account-loading errors: a token too short for a discriminator, tokens too short for
// their fields, and well-formed tokens that do not sit at their PDA.
var Fixtures = struct {
	NoDiscriminator, ShortV1, ShortV2, ForgedV1, ForgedV2 solana.PublicKey
	ForgedAuthority, ForgedFeePayer                       solana.PublicKey
}{
	NoDiscriminator: solana.NewWallet().PublicKey(),
	ShortV1:         solana.NewWallet().PublicKey(),
	ShortV2:         solana.NewWallet().PublicKey(),
	ForgedV1:        solana.NewWallet().PublicKey(),
	ForgedV2:        solana.NewWallet().PublicKey(),
	ForgedAuthority: solana.NewWallet().PublicKey(),
	ForgedFeePayer:  solana.NewWallet().PublicKey(),
}

// Main runs a test package (from its TestMain) on one cluster shared by its tests, with
// the session program at SessionID and the Fixtures in place.
func Main(m *testing.M) {
	opts, err := clusterConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(localnettest.RunMain(m, opts...))
}

func clusterConfig() ([]localnet.Option, error) {
	v1 := client.SessionToken{
		Authority:     Fixtures.ForgedAuthority,
		TargetProgram: examplegame.ProgramID,
		SessionSigner: solana.NewWallet().PublicKey(),
		ValidUntil:    1 << 40,
	}
	v2 := client.SessionTokenV2{
		Authority:     Fixtures.ForgedAuthority,
		TargetProgram: examplegame.ProgramID,
		SessionSigner: solana.NewWallet().PublicKey(),
		FeePayer:      Fixtures.ForgedFeePayer,
		ValidUntil:    1 << 40,
	}
	v1Data, err := v1.MarshalBinary()
	if err != nil {
		return nil, err
	}
	v2Data, err := v2.MarshalBinary()
	if err != nil {
		return nil, err
	}
	token := func(addr solana.PublicKey, data []byte) localnet.Account {
		return localnet.Account{Address: addr, Lamports: 2_000_000, Owner: SessionID, Data: data}
	}
	return []localnet.Option{
		localnet.WithPrograms(localnettest.SessionProgram()),
		localnet.WithAccounts(
			token(Fixtures.NoDiscriminator, []byte{1, 2, 3, 4}),
			token(Fixtures.ShortV1, v1Data[:client.SessionTokenLen-1]),
			token(Fixtures.ShortV2, v2Data[:client.SessionTokenV2Len-1]),
			token(Fixtures.ForgedV1, v1Data),
			token(Fixtures.ForgedV2, v2Data),
		),
		localnet.WithFunded(Fixtures.ForgedAuthority, 1_000_000),
		localnet.WithFunded(Fixtures.ForgedFeePayer, 1_000_000),
	}, nil
}

// Env is one test's handle on the package's shared cluster.
type Env struct {
	T   *testing.T
	Ctx context.Context
	Net *localnet.Net
}

// Setup returns t's Env on the package's cluster.
func Setup(t *testing.T) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return &Env{T: t, Ctx: ctx, Net: localnettest.ForTest(t)}
}

// Wallet returns a new key holding exactly lamports.
func (e *Env) Wallet(lamports uint64) solana.PrivateKey {
	e.T.Helper()
	key, err := e.Net.NewFundedKey(e.Ctx, lamports)
	require.NoError(e.T, err)
	return key
}

// NewKey returns a fresh key that holds nothing.
func NewKey(t *testing.T) solana.PrivateKey {
	t.Helper()
	key, err := solana.NewRandomPrivateKey()
	require.NoError(t, err)
	return key
}

// Balance returns pk's lamports.
func (e *Env) Balance(pk solana.PublicKey) uint64 {
	e.T.Helper()
	res, err := e.Net.RPC().GetBalance(e.Ctx, pk, rpc.CommitmentConfirmed)
	require.NoError(e.T, err)
	return res.Value
}

// Balances returns the lamports of each of pks.
func (e *Env) Balances(pks ...solana.PublicKey) []uint64 {
	e.T.Helper()
	out := make([]uint64, len(pks))
	for i, pk := range pks {
		out[i] = e.Balance(pk)
	}
	return out
}

// Rent returns the rent-exempt minimum of an account of size bytes.
func (e *Env) Rent(size uint64) uint64 {
	e.T.Helper()
	lamports, err := e.Net.RPC().GetMinimumBalanceForRentExemption(e.Ctx, size, rpc.CommitmentConfirmed)
	require.NoError(e.T, err)
	return lamports
}

// Account returns the account at pk, or nil when it does not exist.
func (e *Env) Account(pk solana.PublicKey) *rpc.Account {
	e.T.Helper()
	res, err := e.Net.RPC().GetAccountInfoWithOpts(e.Ctx, pk, &rpc.GetAccountInfoOpts{
		Encoding:   solana.EncodingBase64,
		Commitment: rpc.CommitmentConfirmed,
	})
	if errors.Is(err, rpc.ErrNotFound) {
		return nil
	}
	require.NoError(e.T, err)
	return res.Value
}

// The cluster clock stands still after a time jump, so a test that pins it knows the
// exact unix_timestamp its transactions see. Jumps only go forward: the package's
// tests share one cluster.
var clock struct {
	mu   sync.Mutex
	last int64
}

// FreezeClock moves the cluster clock to a fresh time past any earlier one and
// returns it.
func (e *Env) FreezeClock() int64 {
	e.T.Helper()
	now, err := e.Net.ClusterTime(e.Ctx)
	require.NoError(e.T, err)
	clock.mu.Lock()
	next := max(now.Unix(), clock.last) + 100_000
	clock.mu.Unlock()
	e.SetClock(next)
	return next
}

// SetClock moves the cluster clock to unix, which must not be before an earlier jump.
func (e *Env) SetClock(unix int64) {
	e.T.Helper()
	clock.mu.Lock()
	defer clock.mu.Unlock()
	require.GreaterOrEqual(e.T, unix, clock.last, "the clock only moves forward")
	require.NoError(e.T, e.Net.WarpTime(e.Ctx, time.Unix(unix, 0)))
	got, err := e.Net.ClusterTime(e.Ctx)
	require.NoError(e.T, err)
	require.Equal(e.T, unix, got.Unix(), "cluster clock after the jump")
	clock.last = unix
}

// Landed is a confirmed transaction's outcome.
type Landed struct {
	Units uint64
	Fee   uint64
}

// Send lands ixs (payer pays the fee) and requires success.
func (e *Env) Send(payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) Landed {
	e.T.Helper()
	sig, err := e.Net.Send(e.Ctx, payer, ixs, signers...)
	require.NoError(e.T, txn.ParseRPCError(err))
	version := uint64(0)
	tx, err := e.Net.RPC().GetTransaction(e.Ctx, sig, &rpc.GetTransactionOpts{
		Commitment:                     rpc.CommitmentConfirmed,
		MaxSupportedTransactionVersion: &version,
	})
	require.NoError(e.T, err)
	require.Nil(e.T, tx.Meta.Err)
	require.NotNil(e.T, tx.Meta.ComputeUnitsConsumed)
	return Landed{Units: *tx.Meta.ComputeUnitsConsumed, Fee: tx.Meta.Fee}
}

// Simulate runs ixs without landing them (signatures verified) and returns the compute
// units used and the typed error (nil on success).
func (e *Env) Simulate(payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) (uint64, error) {
	e.T.Helper()
	// A fresh blockhash keeps a simulation from repeating a landed transaction.
	hash, err := e.Net.RefreshBlockhash(e.Ctx)
	require.NoError(e.T, err)
	tx, err := solana.NewTransaction(ixs, hash, solana.TransactionPayer(payer.PublicKey()))
	require.NoError(e.T, err)
	keys := map[solana.PublicKey]*solana.PrivateKey{payer.PublicKey(): &payer}
	for i := range signers {
		keys[signers[i].PublicKey()] = &signers[i]
	}
	_, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey { return keys[pk] })
	require.NoError(e.T, err)
	res, err := e.Net.RPC().SimulateTransactionWithOpts(e.Ctx, tx, &rpc.SimulateTransactionOpts{
		SigVerify:  true,
		Commitment: rpc.CommitmentConfirmed,
	})
	require.NoError(e.T, err)
	var units uint64
	if res.Value.UnitsConsumed != nil {
		units = *res.Value.UnitsConsumed
	}
	return units, txn.ParseSimulation(res.Value)
}

// RequireProgramError checks that err is Custom(code) raised by program, and that it
// matches sentinel when one is given.
func RequireProgramError(t *testing.T, err error, program solana.PublicKey, code uint32, sentinel error) *txn.ProgramError {
	t.Helper()
	var pe *txn.ProgramError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, code, pe.Code, "error code (%v)", err)
	require.NotNil(t, pe.ProgramID, "failing program in the logs")
	require.Equal(t, program, *pe.ProgramID, "failing program")
	if sentinel != nil {
		require.ErrorIs(t, err, sentinel)
	}
	return pe
}

// Ixs lists instructions for Send and Simulate.
func Ixs(list ...solana.Instruction) []solana.Instruction { return list }

// Must unwraps a builder's result: e.Must(client.NewX(...)).
func (e *Env) Must(ix solana.Instruction, err error) solana.Instruction {
	e.T.Helper()
	require.NoError(e.T, err)
	return ix
}
