package sender

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A WebSocket URL with an API key in it must not reach the hub's errors (and so its logs),
// even when the URL is malformed and the dialer quotes it back.
func TestWSDialErrorHidesEndpoint(t *testing.T) {
	const secret = "sk_live_0123456789"
	for _, url := range []string{
		"ws://127.0.0.1:1/?api-key=" + secret,
		"wss://user:" + secret + "@%zz/",
		"not a url " + secret,
	} {
		h := &wsHub{url: url, timeout: time.Second, ctx: context.Background()}
		_, err := h.dial()
		if err == nil {
			t.Fatalf("dial(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("dial(%q) error shows the key: %v", url, err)
		}
	}
}
