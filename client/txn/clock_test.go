package txn_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// The runtime starts only if a test asks for it (localnettest.ForTest); the wire tests of
// this package need none.
func TestMain(m *testing.M) { os.Exit(localnettest.RunMain(m)) }

func TestClusterTimeFollowsTheClock(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx := context.Background()
	now, err := n.ClusterTime(ctx)
	require.NoError(t, err)
	// Relative to the runtime's own clock, which -count reruns share and which refuses to
	// travel back.
	want := now.Add(36*time.Hour + 7*time.Second)
	require.NoError(t, n.WarpTime(ctx, want))

	got, err := txn.ClusterTime(ctx, n.RPC(), rpc.CommitmentConfirmed)
	require.NoError(t, err)
	require.Equal(t, want.Unix(), got)
}

func TestClusterTimeNamesTheFailure(t *testing.T) {
	_, err := txn.ClusterTime(context.Background(), rpc.New("http://127.0.0.1:1"), rpc.CommitmentConfirmed)
	require.ErrorContains(t, err, "txn: reading the Clock sysvar")
}
