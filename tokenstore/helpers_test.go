package tokenstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// testProgram is the gpl_session program id.
var testProgram = solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")

// testKeyBytes derives deterministic 32-byte values from a label, so tests
// and fixtures are reproducible.
func testKeyBytes(label string, i int) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "tokenstore test %s %d", label, i))
}

func testPub(label string, i int) solana.PublicKey { return solana.PublicKey(testKeyBytes(label, i)) }

// testSession returns a complete record and its key. Authorities and
// targets repeat with period 3 and 2 so filters have something to select.
func testSession(t testing.TB, i int) (Record, *txn.SessionKey) {
	t.Helper()
	seed := testKeyBytes("seed", i)
	key, err := txn.NewSessionKey(seed[:])
	require.NoError(t, err)
	version := pda.V1
	var feePayer solana.PublicKey
	if i%2 == 1 {
		version = pda.V2
		feePayer = testPub("payer", i)
	}
	return Record{
		ProgramID:     testProgram,
		Version:       version,
		Token:         testPub("token", i),
		Authority:     testPub("authority", i%3),
		TargetProgram: testPub("target", i%2),
		SessionSigner: key.PublicKey(),
		FeePayer:      feePayer,
		ValidUntil:    1_800_000_000 + int64(i)*60,
		CreatedAt:     time.Date(2026, 11, 21, 8, 0, 0, i, time.UTC),
	}, key
}

// testMasterKey is the raw key of test stores; a MasterKey store opens
// without Argon2id, which keeps the suite fast.
var testMasterKey = func() []byte { k := testKeyBytes("master", 0); return k[:] }()

func newTestDir(t testing.TB) (*Dir, string) {
	t.Helper()
	dir := t.TempDir() + "/store"
	d, err := Create(context.Background(), dir, MasterKey(testMasterKey))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func openTestDir(t testing.TB, dir string) *Dir {
	t.Helper()
	d, err := Open(context.Background(), dir, MasterKey(testMasterKey))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func testTime(unix int64) time.Time { return time.Unix(unix, 0) }

// readNames lists a directory as a test sees it, by path.
func readNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, err
}
