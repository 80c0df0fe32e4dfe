package sender

import (
	"testing"
	"time"
)

func TestLoopbackDefaults(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   []Option
		poll   time.Duration
		factor int
	}{
		{"no endpoint", nil, 400 * time.Millisecond, 5},
		{"remote", []Option{WithEndpoint("https://api.devnet.solana.com"), WithWebSocket("wss://api.devnet.solana.com")}, 400 * time.Millisecond, 5},
		{"loopback rpc", []Option{WithEndpoint("http://127.0.0.1:8899")}, loopbackPoll, 5},
		{"localhost ws", []Option{WithWebSocket("ws://localhost:8900")}, loopbackPoll, 5},
		{"ipv6 loopback", []Option{WithEndpoint("http://[::1]:8899")}, loopbackPoll, 5},
		{"explicit poll wins", []Option{WithEndpoint("http://127.0.0.1:8899"), WithPollInterval(time.Second)}, time.Second, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultConfig()
			for _, o := range c.opts {
				o(&cfg)
			}
			cfg.localDefaults()
			if cfg.pollInterval != c.poll || cfg.wsPollFactor != c.factor {
				t.Fatalf("poll %s factor %d, want %s and %d", cfg.pollInterval, cfg.wsPollFactor, c.poll, c.factor)
			}
		})
	}
}
