package client_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet"
)

// The runtime starts only if a test asks for it (localnet.ForTest); the wire tests of
// this package need none.
func TestMain(m *testing.M) { os.Exit(localnet.RunMain(m, localnet.Config{})) }

func TestClusterTimeFollowsTheClock(t *testing.T) {
	n := localnet.ForTest(t)
	ctx := context.Background()
	want := time.Date(2031, 5, 4, 3, 2, 1, 0, time.UTC)
	require.NoError(t, n.WarpTime(ctx, want))

	got, err := client.ClusterTime(ctx, n.RPC(), rpc.CommitmentConfirmed)
	require.NoError(t, err)
	require.Equal(t, want.Unix(), got)
}

func TestClusterTimeNamesTheFailure(t *testing.T) {
	_, err := client.ClusterTime(context.Background(), rpc.New("http://127.0.0.1:1"), rpc.CommitmentConfirmed)
	require.ErrorContains(t, err, "client: reading the Clock sysvar")
}
