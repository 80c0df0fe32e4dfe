// Package cli is the sessionkit command line: inspect, list, validate, create and
// revoke session tokens, manage a token store, decode transactions, and run a local
// cluster or the demo.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// IO is the process's environment as the commands see it; tests substitute every part.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// ErrTerminal says that Err is a terminal: progress is drawn only there.
	ErrTerminal bool
	// ReadPassword reads a secret from the terminal without echo; nil when stdin is not
	// a terminal.
	ReadPassword func() ([]byte, error)
	// Getenv reads an environment variable (HOME, SESSIONKIT_STORE_PASSPHRASE).
	Getenv func(string) string
}

// app is one run of the command line.
type app struct {
	io IO
	g  globals
	// env is resolved from the flags and the Solana CLI config before a command runs.
	env *env
}

// Main runs the command line with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdio IO) int {
	if stdio.Getenv == nil {
		stdio.Getenv = func(string) string { return "" }
	}
	a := &app{io: stdio}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(stdio.Err, "Error: interrupted")
		return ExitInterrupted
	}
	path := root.Name()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return a.report(stdio.Err, err, path)
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "sessionkit",
		Short: "Inspect and manage Solana session keys (gpl_session)",
		Long: `sessionkit works with session keys of MagicBlock's gpl_session program: the user's
wallet (the authority) signs once to create a session token that lets an ephemeral key
sign for one target program until it expires or is revoked.

Cluster, keypair and commitment default to the Solana CLI's config file
(~/.config/solana/cli/config.yml), like the solana command; flags override it.

Exit codes: 0 ok, 1 error, 2 usage error, 3 negative answer (token not found, not a
session token, or invalid), 130 interrupted.`,
		Example: `  sessionkit demo
  sessionkit localnet up
  sessionkit -u l inspect 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin
  sessionkit list --authority 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2 --output json`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.resolve(cmd) },
	}
	root.Version = version()
	root.SetVersionTemplate("sessionkit {{.Version}}\n")
	// Without a shorthand: the solana CLI's -v is --verbose.
	root.Flags().Bool("version", false, "print the module version and the commit sessionkit was built from")
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("", "%v", err)
	})
	a.g.register(root)
	root.AddCommand(a.inspectCmd(), a.listCmd(), a.validateCmd(), a.createCmd(), a.revokeCmd(),
		a.keysCmd(), a.localnetCmd(), a.demoCmd(), a.decodeCmd(),
		a.keygenCmd(), a.airdropCmd(), a.balanceCmd(), a.webCmd())
	return root
}

// runE adapts a command body: its errors are failures (exit 1) unless it chose a code.
func runE(body func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := body(cmd, args)
		if err == nil {
			return nil
		}
		if _, ok := err.(*exitError); ok {
			return err
		}
		return failure("", err)
	}
}

// exactArgs is cobra.ExactArgs with a usage error that names the missing argument.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageError("", "%s takes %d argument(s) (%s), got %d", cmd.CommandPath(), len(names),
				strings.Join(names, ", "), len(args))
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("", "%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
