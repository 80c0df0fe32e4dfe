package session

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// A newcomer's first session on the embedded cluster expires on its own, by cluster
// time, as on a real cluster: nobody warps the clock.
func TestFirstHourShortSessionExpires(t *testing.T) {
	// Its own runtime: the package's is warped hours ahead by other tests.
	net := localnettest.StartForTest(t, clusterConfig()...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnvWith(t, ctx, net, net.RPC())
	authority := e.funded(1_000_000_000)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, ValidFor: 3 * time.Second, Unfunded: true})
	require.NoError(t, err)
	created := time.Now()

	st, err := e.m.Get(ctx, sess.Token())
	require.NoError(t, err)
	require.False(t, st.Expired, "expired right after creation")
	for !st.Expired {
		require.Less(t, time.Since(created), 5*time.Second, "a 3-second session is still valid by cluster time")
		time.Sleep(100 * time.Millisecond)
		st, err = e.m.Get(ctx, sess.Token())
		require.NoError(t, err)
	}
	t.Logf("expired by cluster time %s after creation", time.Since(created).Round(time.Millisecond))
}
