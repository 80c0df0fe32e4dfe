package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
)

// fakeClock is a cluster clock source for unit tests of signing decisions; tests against
// the real runtime read the Clock sysvar instead.
type fakeClock struct {
	unix  atomic.Int64
	reads atomic.Int64
}

func (f *fakeClock) fetch(context.Context) (int64, error) {
	f.reads.Add(1)
	return f.unix.Load(), nil
}

// offlineManager is a Manager without RPC whose cluster clock reads fc.
func offlineManager(fc *fakeClock, maxAge time.Duration) *Manager {
	return &Manager{
		programID: pda.MagicBlockProgramID,
		clock:     &clusterClock{fetch: fc.fetch, maxAge: maxAge},
	}
}

// chainManager is offlineManager reading balances and accounts from the test cluster:
// a pool reads a signer's balance before its key may leave the store.
func chainManager(t testing.TB, fc *fakeClock) *Manager {
	t.Helper()
	m := offlineManager(fc, time.Hour)
	m.rpc = localnettest.ForTest(t).RPC()
	m.commitment = rpc.CommitmentConfirmed
	return m
}

// testSession makes a V1 session for a random authority and target, bound to m (may be nil).
func testSession(t testing.TB, m *Manager, validUntil int64) *Session {
	t.Helper()
	key, err := txn.GenerateSessionKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := key.PublicKey()
	authority, target := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()
	token, _, err := pda.SessionToken(pda.MagicBlockProgramID, target, signer, authority)
	if err != nil {
		t.Fatal(err)
	}
	return &Session{
		token: token, signer: signer, authority: authority, target: target, feePayer: authority,
		version: pda.V1, validUntil: validUntil, key: key, mgr: m, salt: newSalt(),
	}
}

// moveIx is an instruction for the session's target carrying signer and token as a
// session-aware program expects: player account, signer, token.
func moveIx(s *Session, player solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(s.target, solana.AccountMetaSlice{
		solana.Meta(player).WRITE(),
		solana.Meta(s.signer).SIGNER(),
		solana.Meta(s.token),
	}, []byte{1, 2, 3})
}

func newKey(t testing.TB) *txn.SessionKey {
	t.Helper()
	k, err := txn.GenerateSessionKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyFrom is the redacting key parameters take, for a wallet key a test also uses raw.
func keyFrom(t testing.TB, pk solana.PrivateKey) *txn.SessionKey {
	t.Helper()
	k, err := txn.SessionKeyFromPrivateKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
