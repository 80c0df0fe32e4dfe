package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/demo"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
)

func (a *app) demoCmd() *cobra.Command {
	opt := demo.Defaults()
	var topUp, validFor, sessionProgram string
	cmd := &cobra.Command{
		Use:   "demo [--moves 100] [--concurrency 4] [--v2] [--sponsor] [--top-up 0.01] [--valid-for 1h]",
		Short: "Run the whole session lifecycle on an embedded local cluster",
		Long: `Start an embedded local cluster with the session program at the MagicBlock id and
the example game, then do the main job end to end: fund an authority, create a session
for the game (signed once by the authority, with a top-up for the session signer), play
N moves signed by the ephemeral session key alone, read them back, inspect the token,
revoke it and sweep the lamports back. With --scoped the session also gets 50 of the
game's tokens and the authority signs a permission grant with the create (0.01 SOL,
50 GOLD at most 20 a transaction, 100 moves, only move_player and buy_item; its hash
in a memo): a transfer over the grant's limit is refused before signing, items are
bought (buy_item) until the token program refuses a purchase for lack of tokens, and
the revoke returns the rest (96 moves by default, so that moves and purchases fit). Prints each step with timings, the moves'
transactions per second and every party's exact balances; removes the cluster on exit.

The demo always runs on its own embedded cluster: --url and --keypair do not apply.`,
		Example: `  sessionkit demo
  sessionkit demo --moves 500 --concurrency 8
  sessionkit demo --v2 --sponsor --output json
  sessionkit demo --scoped`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			var err error
			if opt.TopUp, err = output.ParseSOL(topUp); err != nil {
				return usageError("", "--top-up %w", err)
			}
			if opt.ValidFor, err = parseValidity(validFor); err != nil {
				return err
			}
			if opt.Scoped && !cmd.Flags().Changed("moves") {
				opt.Moves = demo.ScopedMoves // the grant's 100 moves, purchases included
			}
			if opt.Moves < 1 || opt.Concurrency < 1 {
				return usageError("", "--moves and --concurrency must be at least 1")
			}
			if sessionProgram != "" {
				if opt.SessionELF, err = os.ReadFile(sessionProgram); err != nil {
					return failure("--session-program takes a session_keys.so file", err)
				}
			}
			r, err := demo.Run(cmd.Context(), opt, a.progress())
			if errors.Is(err, demo.ErrBadOptions) {
				return usageError("", "%v", err)
			}
			if err != nil {
				return err
			}
			if a.env.format.IsJSON() {
				return output.WriteJSON(a.io.Out, a.env.format, r)
			}
			return r.WriteText(a.io.Out)
		}),
	}
	f := cmd.Flags()
	f.IntVar(&opt.Moves, "moves", opt.Moves, "moves the session key signs")
	f.IntVar(&opt.Concurrency, "concurrency", opt.Concurrency, "moves in flight at once")
	f.BoolVar(&opt.V2, "v2", false, "create a V2 token (create_session_v2)")
	f.BoolVar(&opt.Sponsor, "sponsor", false, "a second key pays rent and top-up (create_session_with_payer, or the V2 fee payer)")
	f.StringVar(&topUp, "top-up", output.SOLAmount(opt.TopUp), "SOL moved to the session signer for its move fees")
	f.StringVar(&validFor, "valid-for", "1h", "session lifetime on the cluster's clock")
	f.BoolVar(&opt.Scoped, "scoped", false, "grant 0.01 SOL, 50 GOLD (the game's token) and a signed permission grant; show a move refused before signing, buy items until the chain refuses one, revoke and show the tokens returned")
	f.StringVar(&sessionProgram, "session-program", "", "run this build of the session program (a session_keys.so) instead of sessionkit's own")
	return cmd
}
