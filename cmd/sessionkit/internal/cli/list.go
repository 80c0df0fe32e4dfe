package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// listing is list's JSON output.
type listing struct {
	Authority      string            `json:"authority"`
	TargetProgram  string            `json:"targetProgram,omitempty"`
	ProgramID      string            `json:"programId"`
	ClusterTime    int64             `json:"clusterTime"`
	ClusterTimeUTC string            `json:"clusterTimeUtc"`
	Sessions       []*tokenview.View `json:"sessions"`
	// withGrants: a store was given, so the table shows a GRANT LEFT column.
	withGrants bool
}

// grantLeft sets what token's stored grant leaves on v; nothing when the store keeps no
// grant for it.
func grantLeft(ctx context.Context, st cliStore, token solana.PublicKey, v *tokenview.View) error {
	stored, err := st.Attachment(ctx, token, tokenstore.AttachmentGrant)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	budgets, err := session.GrantBudgets(ctx, st, token, stored)
	if err != nil {
		return fmt.Errorf("the stored grant of %s: %w", token, err)
	}
	v.SetGrantLeft(budgets)
	return nil
}

func (a *app) listCmd() *cobra.Command {
	var authority, target string
	var store storeFlags
	cmd := &cobra.Command{
		Use:   "list [--authority A] [--target T] [--store DIR]",
		Short: "List an authority's session tokens, soonest expiry first",
		Long: `List every V1 and V2 session token of an authority (getProgramAccounts with
memcmp filters, so the RPC node must serve that method), optionally only those for
one target program, as a table sorted by expiry. The authority defaults to the -k
keypair's address. The CAPS LEFT column is what the chain still lets the session
key spend; with --store, GRANT LEFT is what the grants kept in that store leave
(moves, lamports, tokens), which sessionkit enforces before it signs.`,
		Example: `  sessionkit list --authority 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2
  sessionkit list --target B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi --output json`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			var auth solana.PublicKey
			var err error
			if authority != "" {
				auth, err = parsePubkey("--authority", authority)
			} else {
				var key *txn.SessionKey
				if key, err = a.keypair("authority"); err != nil {
					return failure("pass --authority ADDRESS, or -k with the authority's keypair",
						fmt.Errorf("no --authority given and %w", err))
				}
				auth = key.PublicKey()
				key.Zero()
			}
			if err != nil {
				return err
			}
			var tgt *solana.PublicKey
			if target != "" {
				t, err := parsePubkey("--target", target)
				if err != nil {
					return err
				}
				tgt = &t
			}
			return a.list(cmd, auth, tgt, store)
		}),
	}
	store.register(cmd, "token store directory: show what the grants it keeps leave of each session")
	cmd.Flags().StringVar(&authority, "authority", "", "authority whose tokens to list (default: the -k keypair's address)")
	cmd.Flags().StringVar(&target, "target", "", "only tokens for this target program")
	return cmd
}

func (a *app) list(cmd *cobra.Command, authority solana.PublicKey, target *solana.PublicKey, store storeFlags) error {
	ctx := cmd.Context()
	m, _, err := a.manager(a.rpcClient(), false)
	if err != nil {
		return err
	}
	now, err := m.ClusterTime(ctx)
	if err != nil {
		return err
	}
	toks, err := m.List(ctx, authority, target)
	if err != nil {
		return err
	}
	slices.SortFunc(toks, func(x, y *session.TokenStatus) int {
		return cmp.Or(cmp.Compare(x.ValidUntil, y.ValidUntil), cmp.Compare(x.Version, y.Version),
			cmp.Compare(x.Address.String(), y.Address.String()))
	})
	out := listing{Authority: authority.String(), ProgramID: a.env.programID.String(), ClusterTime: now,
		ClusterTimeUTC: output.UTC(now), Sessions: make([]*tokenview.View, 0, len(toks))}
	if target != nil {
		out.TargetProgram = target.String()
	}
	var st cliStore
	if store.dir != "" {
		if st, err = a.openStore(ctx, store, false); err != nil {
			return err
		}
		defer st.Close()
		out.withGrants = true
	}
	for _, t := range toks {
		v := tokenview.FromToken(a.env.programID, t, now)
		var granted []session.TokenCap
		if st != nil {
			if granted, err = session.StoredTokenCaps(ctx, st, t.Address); err != nil {
				return err
			}
		}
		caps, err := m.GrantedCaps(ctx, t.SessionSigner, granted)
		if err != nil {
			return err
		}
		v.SetCaps(caps)
		if st != nil {
			if err := grantLeft(ctx, st, t.Address, v); err != nil {
				return err
			}
		}
		out.Sessions = append(out.Sessions, v)
	}
	if a.env.format.IsJSON() {
		return output.WriteJSON(a.io.Out, a.env.format, out)
	}
	return writeListing(a.io, out)
}

func writeListing(io IO, l listing) error {
	f := output.NewFields(io.Out)
	f.Add("Authority", l.Authority)
	if l.TargetProgram != "" {
		f.Add("Target Program", l.TargetProgram)
	}
	f.Add("Cluster Time", l.ClusterTimeUTC)
	if err := f.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(io.Out)
	if len(l.Sessions) == 0 {
		_, err := fmt.Fprintln(io.Out, "No session tokens.")
		return err
	}
	cols := []string{"TOKEN", "VER", "TARGET PROGRAM", "SESSION SIGNER", "VALID UNTIL (UTC)", "CAPS LEFT"}
	if l.withGrants {
		cols = append(cols, "GRANT LEFT")
	}
	t := output.NewTable(io.Out, append(cols, "STATUS")...)
	active := 0
	for _, s := range l.Sessions {
		status := string(s.Status)
		if s.Status == tokenview.Active {
			active++
		}
		row := []string{s.Token, fmt.Sprintf("v%d", s.Version), s.TargetProgram, s.SessionSigner, s.ValidUntilUTC, s.Caps.CapsText()}
		if l.withGrants {
			row = append(row, s.GrantText())
		}
		t.Row(append(row, status+" ("+output.Relative(*s.ValidUntil, l.ClusterTime)+")")...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(io.Out, "\n%d session token(s): %d active, %d expired\n", len(l.Sessions), active, len(l.Sessions)-active)
	return err
}
