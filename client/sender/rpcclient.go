package sender

import (
	"net"
	"net/http"
	"time"

	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
)

// NewRPCClient returns an rpc.Client for endpoint whose HTTP transport suits many
// concurrent senders: solana-go's default transport allows 9 connections per host, so
// the tenth concurrent request queues behind the others. header is sent with every
// request (for example an API key); it may be nil.
func NewRPCClient(endpoint string, header http.Header) *rpc.Client {
	tr := newTransport()
	// The Sender bounds each request by context; the client timeout only protects
	// other users of the rpc.Client from a hung connection.
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	return rpc.NewWithCustomRPCClient(jsonrpc.NewClientWithOpts(endpoint, &jsonrpc.RPCClientOpts{
		HTTPClient: hc, CustomHeader: header,
	}))
}

// newTransport is the HTTP transport of NewRPCClient and Endpoints: many connections
// per host.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}
