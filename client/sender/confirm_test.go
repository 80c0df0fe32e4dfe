package sender_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/internal/syncbuf"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// slowPoll is a poll interval no test waits out: whatever confirms a send in these tests
// is a status check the sender makes on its own account, not a timer.
const slowPoll = time.Minute

// With every signatureNotification lost, sends still confirm at once: the sender reads
// each signature's status as soon as it is sent and its subscription acknowledged, and
// its safety checks follow the latency seen so far, not the (here one-minute, and five
// minutes while subscribed) poll interval.
func TestSendNotificationDropped(t *testing.T) {
	n := localnettest.ForTest(t)
	ws := faultproxy.NewWS(t, n.WSURL())
	ws.DropNotifications("signatureNotification")
	s := newSender(t, n.RPCURL(), sender.WithWebSocket(ws.URL()), sender.WithPollInterval(slowPoll))
	work := plan(fundPayers(t, n, 1), 6)[0]
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var outs []outcome
	for i, tr := range work {
		t0 := time.Now()
		res, err := s.Send(ctx, tr.build)
		require.NoError(t, err)
		// The first send has no latency to go by yet; the others must not wait for
		// anything like a poll interval.
		if d := time.Since(t0); i > 0 {
			assert.Less(t, d, 5*time.Second, "send %d", i)
		}
		outs = append(outs, outcome{tr, res, err})
	}
	checkExactlyOnce(t, n.RPC(), outs)
	t.Logf("notifications dropped: %d", ws.Dropped())
}

// A WebSocket that drops while a transaction is in flight, whose notification is lost
// and whose every status read fails until the signature is subscribed again, is made
// good at once: the signature is read again when its subscription is acknowledged on
// the new connection (and when the old one drops), not a poll interval later.
func TestSendWebSocketCutInFlight(t *testing.T) {
	n := localnettest.ForTest(t)
	ws := faultproxy.NewWS(t, n.WSURL())
	ws.DropNotifications("signatureNotification")
	var sends, blinded atomic.Int32
	var blind atomic.Bool
	blind.Store(true)
	proxy := faultproxy.New(t, n.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		switch {
		case c.Method == "sendTransaction":
			sends.Add(1)
		case c.Method == "getSignatureStatuses" && (blind.Load() || ws.Forwarded("signatureSubscribe") < 2):
			blinded.Add(1)
			return faultproxy.Blackhole // a null answer: the check fails
		}
		return faultproxy.Pass
	})
	var logs syncbuf.Buffer
	s := newSender(t, proxy.URL(), sender.WithWebSocket(ws.URL()), sender.WithPollInterval(slowPoll),
		sender.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	tr := plan(fundPayers(t, n, 1), 1)[0][0]
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	done := make(chan outcome, 1)
	go func() {
		res, err := s.Send(ctx, tr.build)
		done <- outcome{tr, res, err}
	}()
	require.Eventually(t, func() bool { return sends.Load() > 0 && blinded.Load() > 0 }, 10*time.Second, 5*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the acknowledgement's check fails too
	select {
	case out := <-done:
		t.Fatalf("confirmed with every status read failing and notifications dropped: %+v", out)
	default:
	}
	blind.Store(false)
	cut := time.Now()
	ws.Cut()
	select {
	case out := <-done:
		require.NoError(t, out.err)
		assert.Less(t, time.Since(cut), 10*time.Second)
		checkExactlyOnce(t, n.RPC(), []outcome{out})
	case <-time.After(30 * time.Second):
		t.Fatal("no confirmation after the WebSocket was cut")
	}
	require.Eventually(t, func() bool { return bytes.Contains(logs.Bytes(), []byte("websocket reconnected")) },
		10*time.Second, 20*time.Millisecond, "log:\n%s", logs.Bytes())
}
