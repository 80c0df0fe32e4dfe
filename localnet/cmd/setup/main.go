// Command setup installs the embedded Solana runtime that localnet starts
// (the launcher's npm dependencies), so that the first test run need not.
//
// Usage: go run ./localnet/cmd/setup [-cache DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/sessionkit/sessionkit/localnet"
)

func main() {
	cache := flag.String("cache", "", "install under this directory (default $"+localnet.EnvCacheDir+" or the user cache dir)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := localnet.Install(ctx, *cache, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
