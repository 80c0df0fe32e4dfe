// Command sessionkit inspects and manages Solana session keys (MagicBlock's gpl_session
// program) and runs a local cluster with the session program loaded; see the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels ctx and lets the command clean up (a local cluster is
	// stopped and removed); a second one, should cleanup hang, kills the process.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], stdio())
	stop()
	os.Exit(code)
}

func stdio() cli.IO {
	io := cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv,
		ErrTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		io.ReadPassword = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	return io
}
