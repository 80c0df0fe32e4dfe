package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
)

// DialOption configures Dial. Every Option is one too (WithProgramID, WithCommitment,
// ...), applied to the Manager Dial makes.
type DialOption interface {
	applyDial(*dialConfig)
}

type dialConfig struct {
	manager []Option
	// wsURL is nil for the default, derived from the RPC URL; "" turns WebSocket off.
	wsURL  *string
	sender []sender.Option
	header http.Header
}

func (o Option) applyDial(c *dialConfig) { c.manager = append(c.manager, o) }

type dialOption func(*dialConfig)

func (o dialOption) applyDial(c *dialConfig) { o(c) }

// WithWebSocketURL sets the endpoint the sender subscribes to signatures on. The default
// is derived from the RPC URL as the Solana CLI does it: http becomes ws, https wss, and
// an explicit port is one higher (http://127.0.0.1:8899 → ws://127.0.0.1:8900); path
// and query stay. "" confirms by polling alone.
func WithWebSocketURL(wsURL string) DialOption {
	return dialOption(func(c *dialConfig) { c.wsURL = &wsURL })
}

// WithSenderOptions passes opts to sender.New after Dial's own (the Manager's commitment,
// the WebSocket, client.ParseTransactionError), so they win over them.
func WithSenderOptions(opts ...sender.Option) DialOption {
	return dialOption(func(c *dialConfig) { c.sender = append(c.sender, opts...) })
}

// WithHeader sends header with every RPC request, for a provider's API key say.
func WithHeader(header http.Header) DialOption {
	return dialOption(func(c *dialConfig) { c.header = header })
}

// Dial returns a Manager ready to send, the way most backends need one: an RPC client
// for rpcURL suited to many concurrent sends (sender.NewRPCClient), a sender that
// confirms over WebSocket at the Manager's commitment and whose errors name the session
// program's codes (client.ParseTransactionError), and the Manager over both. It checks
// that the session program is deployed on the cluster, within ctx; the Manager outlives
// ctx and holds the sender until Close.
//
// Error messages show the RPC endpoint as scheme and host only: providers put API keys
// in the path or the query.
//
// rpcURL may name several endpoints of one cluster, comma-separated: the client is then
// a sender.Endpoints one (reads failed over, sends broadcast, per-endpoint backoff), and
// the WebSocket URL is derived from the first.
func Dial(ctx context.Context, rpcURL string, opts ...DialOption) (*Manager, error) {
	var cfg dialConfig
	for _, o := range opts {
		o.applyDial(&cfg)
	}
	urls, err := dialURLs(rpcURL)
	if err != nil {
		return nil, err
	}
	u := urls[0]
	var wsURL string
	if cfg.wsURL != nil {
		wsURL = *cfg.wsURL
	} else if wsURL, err = websocketURL(u); err != nil {
		return nil, err
	}
	rpcClient := dialRPC(urls, cfg.header)
	m := NewManager(rpcClient, nil, cfg.manager...)
	if err := m.checkProgram(ctx, endpoint{url: rpcURL, parsed: u.String(), shown: u.Scheme + "://" + u.Host}); err != nil {
		_ = rpcClient.Close()
		return nil, err
	}
	senderOpts := []sender.Option{sender.WithCommitment(m.commitment), sender.WithErrorMapper(client.ParseTransactionError),
		sender.WithEndpoint(u.String())}
	if wsURL != "" {
		senderOpts = append(senderOpts, sender.WithWebSocket(wsURL))
	}
	m.snd, err = sender.New(rpcClient, append(senderOpts, cfg.sender...)...)
	if err != nil {
		_ = rpcClient.Close()
		return nil, fmt.Errorf("session: dial: %w", err)
	}
	m.dialed = true
	return m, nil
}

// Close releases what Dial opened: the sender, with its blockhash cache and WebSocket,
// and the RPC client's idle connections. Sends in progress end as sender.Sender.Close
// says. A Manager from NewManager owns neither its client nor its sender; Close leaves
// them open.
func (m *Manager) Close() error {
	if !m.dialed {
		return nil
	}
	m.snd.Close()
	return m.rpc.Close()
}

// checkProgram fails unless the session program is an executable account, so that a
// wrong endpoint or program id shows at Dial rather than at the first send.
func (m *Manager) checkProgram(ctx context.Context, at endpoint) error {
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, m.programID, &rpc.GetAccountInfoOpts{Commitment: m.commitment})
	switch {
	case errors.Is(err, rpc.ErrNotFound):
		return fmt.Errorf("session: dial: no session program %s on the cluster at %s", m.programID, at.shown)
	case err != nil:
		return fmt.Errorf("session: dial: reading session program %s: %w", m.programID, &endpointError{err: err, at: at})
	case !res.Value.Executable:
		return fmt.Errorf("session: dial: account %s on the cluster at %s is not a program", m.programID, at.shown)
	}
	return nil
}

// endpoint is the RPC URL as given and as solana-go prints it, and how errors show it.
type endpoint struct{ url, parsed, shown string }

// endpointError hides the RPC URL, which solana-go quotes in its errors, in err's message.
type endpointError struct {
	err error
	at  endpoint
}

func (e *endpointError) Error() string {
	return strings.NewReplacer(e.at.url, e.at.shown, e.at.parsed, e.at.shown).Replace(e.err.Error())
}

func (e *endpointError) Unwrap() error { return e.err }

// parseRPCURL accepts an http or https URL with a host. Its errors do not quote the URL.
func parseRPCURL(rpcURL string) (*url.URL, error) {
	u, err := url.Parse(rpcURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: RPC URL: %v", ErrBadParams, err)
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: RPC URL must be http:// or https:// with a host", ErrBadParams)
	}
	return u, nil
}

// websocketURL derives the WebSocket endpoint from the RPC one as the Solana CLI does.
func websocketURL(rpcURL *url.URL) (string, error) {
	u := *rpcURL
	defaultPort := "80"
	u.Scheme = "ws"
	if strings.EqualFold(rpcURL.Scheme, "https") {
		u.Scheme, defaultPort = "wss", "443"
	}
	switch p := u.Port(); p {
	case "":
	case defaultPort:
		// The CLI's URL parser drops a scheme's default port, so it adds none.
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n >= 65535 {
			return "", fmt.Errorf("%w: RPC URL port %q leaves no next port for the WebSocket; use WithWebSocketURL", ErrBadParams, p)
		}
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(n+1))
	}
	return u.String(), nil
}
