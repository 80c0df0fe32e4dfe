package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
)

// relay forwards every connection accepted on ln to the same loopback service at
// target's host:port, until ctx ends. The embedded runtime picks its own ports; the
// relay puts it where people look for a local validator (127.0.0.1:8899 and 8900). It
// copies bytes, so HTTP and WebSocket pass alike.
func relay(ctx context.Context, ln net.Listener, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("relay target %q: %w", target, err)
	}
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
		wg.Wait()
	}()
	go func() {
		var d net.Dialer
		for {
			in, err := ln.Accept()
			if err != nil {
				return // closed
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				out, err := d.DialContext(ctx, "tcp", u.Host)
				if err != nil {
					return
				}
				defer out.Close()
				done := make(chan struct{}, 2)
				pipe := func(dst, src net.Conn) {
					io.Copy(dst, src)
					if c, ok := dst.(*net.TCPConn); ok {
						c.CloseWrite() // pass the half-close on, as HTTP/1.1 peers expect
					}
					done <- struct{}{}
				}
				go pipe(out, in)
				go pipe(in, out)
				select {
				case <-done:
					<-done
				case <-ctx.Done():
				}
			}()
		}
	}()
	return nil
}
