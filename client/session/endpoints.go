package session

import (
	"net/http"
	"net/url"

	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
)

// dialURLs parses Dial's rpcURL: one URL, or several endpoints of one cluster separated
// by commas. The WebSocket and the loopback defaults follow the first.
func dialURLs(rpcURL string) ([]*url.URL, error) {
	raw := sender.ParseEndpoints(rpcURL)
	if len(raw) <= 1 {
		raw = []string{rpcURL}
	}
	out := make([]*url.URL, 0, len(raw))
	for _, r := range raw {
		u, err := parseRPCURL(r)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// dialRPC is the client for urls: NewRPCClient's for one, sender.Endpoints' for several
// (reads failed over, sends broadcast, minContextSlot on every read that takes one).
func dialRPC(urls []*url.URL, header http.Header) *rpc.Client {
	if len(urls) == 1 {
		return sender.NewRPCClient(urls[0].String(), header)
	}
	raw := make([]string, len(urls))
	for i, u := range urls {
		raw[i] = u.String()
	}
	eps, err := sender.NewEndpoints(raw)
	if err != nil { // parseRPCURL admitted each URL, as NewEndpoints does
		return sender.NewRPCClient(raw[0], header)
	}
	return eps.Client(header)
}
