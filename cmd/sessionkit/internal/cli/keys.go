package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// keyRecord is a stored session as keys list and prune print it: public data only.
type keyRecord struct {
	Token         string `json:"token"`
	ProgramID     string `json:"programId"`
	Version       int    `json:"version"`
	Authority     string `json:"authority"`
	TargetProgram string `json:"targetProgram"`
	SessionSigner string `json:"sessionSigner"`
	FeePayer      string `json:"feePayer,omitempty"`
	ValidUntil    int64  `json:"validUntil"`
	ValidUntilUTC string `json:"validUntilUtc"`
	CreatedAtUTC  string `json:"createdAtUtc"`
	Expired       bool   `json:"expired"`
	// HeldBy and HeldUntilUTC are the lease a pool holds the session by, if any (an
	// expired one included: nobody has taken it since).
	HeldBy       string `json:"heldBy,omitempty"`
	HeldUntilUTC string `json:"heldUntilUtc,omitempty"`
	// Action is what prune did: deleted, or kept with the reason.
	Action string `json:"action,omitempty"`
}

func newKeyRecord(r tokenstore.Record, now time.Time) keyRecord {
	k := keyRecord{Token: r.Token.String(), ProgramID: r.ProgramID.String(), Version: int(r.Version),
		Authority: r.Authority.String(), TargetProgram: r.TargetProgram.String(), SessionSigner: r.SessionSigner.String(),
		ValidUntil: r.ValidUntil, ValidUntilUTC: output.UTC(r.ValidUntil),
		CreatedAtUTC: r.CreatedAt.UTC().Format(time.RFC3339), Expired: r.Expired(now)}
	if !r.FeePayer.IsZero() {
		k.FeePayer = r.FeePayer.String()
	}
	return k
}

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the session keys in a token store (list, prune, export)",
		Long: `A token store keeps session signer keys encrypted at rest (XChaCha20-Poly1305 under
a key derived from a passphrase with Argon2id, or a 32-byte master key), one file per
session, with the token's public data in clear. 'create --store DIR' fills it,
'revoke --store DIR' uses and deletes the keys.`,
		Example: `  sessionkit keys list --store ./sessions
  sessionkit keys prune --store ./sessions --dry-run
  sessionkit keys export 9xQe…Fin --store ./sessions --unsafe-export-secret-key --outfile session.json`,
		Args: noArgs,
	}
	cmd.AddCommand(a.keysListCmd(), a.keysPruneCmd(), a.keysExportCmd())
	return cmd
}

func (a *app) keysListCmd() *cobra.Command {
	var store storeFlags
	var authority, target string
	cmd := &cobra.Command{
		Use:   "list --store DIR [--authority A] [--target T]",
		Short: "List the stored sessions (public data only), soonest expiry first",
		Long: `List the sessions in a token store without reading the cluster: expiry is judged
by this machine's clock here (inspect and validate use the cluster's).`,
		Example: `  sessionkit keys list --store ./sessions
  sessionkit keys list --store ./sessions --authority 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2 --output json`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			var f tokenstore.Filter
			var err error
			if authority != "" {
				if f.Authority, err = parsePubkey("--authority", authority); err != nil {
					return err
				}
			}
			if target != "" {
				if f.TargetProgram, err = parsePubkey("--target", target); err != nil {
					return err
				}
			}
			if err := requireStore(store); err != nil {
				return err
			}
			st, err := a.openStore(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			defer st.Close()
			recs, err := st.List(cmd.Context(), f)
			unreadable, err := partialList(err)
			if err != nil {
				return err
			}
			leases, err := st.Leases(cmd.Context())
			badLeases, err := partialList(err)
			if err != nil {
				return err
			}
			if unreadable == nil {
				unreadable = badLeases
			} else if badLeases != nil {
				unreadable.Files = append(unreadable.Files, badLeases.Files...)
			}
			heldBy := make(map[solana.PublicKey]tokenstore.Lease, len(leases))
			for _, l := range leases {
				heldBy[l.Token] = l
			}
			now := time.Now()
			out := make([]keyRecord, 0, len(recs))
			for _, r := range recs {
				k := newKeyRecord(r, now)
				if l, ok := heldBy[r.Token]; ok {
					k.HeldBy, k.HeldUntilUTC = l.Holder, l.Expires.UTC().Format(time.RFC3339)
				}
				out = append(out, k)
			}
			if err := a.writeKeyRecords(out, unreadable, now.Unix(), false); err != nil {
				return err
			}
			if !a.env.format.IsJSON() && len(out) > 0 {
				if _, err := fmt.Fprintf(a.io.Out, "\n%d stored session(s); status by this machine's clock\n", len(out)); err != nil {
					return err
				}
			}
			return unreadableFailure(unreadable)
		}),
	}
	store.register(cmd, "token store directory (required)")
	cmd.Flags().StringVar(&authority, "authority", "", "only sessions of this authority")
	cmd.Flags().StringVar(&target, "target", "", "only sessions for this target program")
	return cmd
}

func requireStore(s storeFlags) error {
	if s.dir == "" {
		return usageError("", "--store DIR is required")
	}
	return nil
}

// partialList splits a store listing's error into the files it could not read, which
// are shown beside the sound records, and any other failure.
func partialList(err error) (*tokenstore.PartialError, error) {
	var pe *tokenstore.PartialError
	if errors.As(err, &pe) {
		return pe, nil
	}
	return nil, err
}

// unreadableFailure ends a listing that skipped unreadable files with exit status 1.
func unreadableFailure(pe *tokenstore.PartialError) error {
	if pe == nil {
		return nil
	}
	return failure("move the files named aside (they are not sound records: truncated, tampered with, or not regular files) and run the command again", pe)
}

func (a *app) writeKeyRecords(recs []keyRecord, unreadable *tokenstore.PartialError, now int64, withAction bool) error {
	var bad []string
	if unreadable != nil {
		for _, e := range unreadable.Files {
			bad = append(bad, e.Error())
		}
	}
	if a.env.format.IsJSON() {
		doc := map[string]any{"sessions": recs}
		if bad != nil {
			doc["unreadable"] = bad
		}
		return output.WriteJSON(a.io.Out, a.env.format, doc)
	}
	for _, b := range bad {
		if _, err := fmt.Fprintln(a.io.Err, "Unreadable: "+b); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		_, err := fmt.Fprintln(a.io.Out, "No stored sessions.")
		return err
	}
	header := []string{"TOKEN", "VER", "AUTHORITY", "TARGET PROGRAM", "SESSION SIGNER", "VALID UNTIL (UTC)", "STATUS"}
	held := false
	for _, r := range recs {
		held = held || r.HeldBy != ""
	}
	if held {
		header = append(header, "HELD BY")
	}
	if withAction {
		header = append(header, "ACTION")
	}
	t := output.NewTable(a.io.Out, header...)
	for _, r := range recs {
		status := "active"
		if r.Expired {
			status = "expired"
		}
		row := []string{r.Token, fmt.Sprintf("v%d", r.Version), r.Authority, r.TargetProgram, r.SessionSigner,
			r.ValidUntilUTC, status + " (" + output.Relative(r.ValidUntil, now) + ")"}
		switch {
		case !held:
		case r.HeldBy == "":
			row = append(row, "-")
		default:
			row = append(row, r.HeldBy+" until "+r.HeldUntilUTC)
		}
		if withAction {
			row = append(row, r.Action)
		}
		t.Row(row...)
	}
	return t.Flush()
}

func (a *app) keysPruneCmd() *cobra.Command {
	var store storeFlags
	var dryRun, force bool
	cmd := &cobra.Command{
		Use:   "prune --store DIR [--dry-run] [--force]",
		Short: "Delete the keys of expired sessions that hold nothing any more",
		Long: `Delete stored keys of sessions expired by the cluster's clock — but only when
nothing is lost with them: a key is kept while its token account still exists
(revoke it with 'sessionkit revoke TOKEN --store DIR' to get the rent and the unspent
top-up back) or while its session signer still holds lamports.

--force skips those checks and the cluster, and deletes every key expired by this
machine's clock: lamports still held by those session signers are lost for good.`,
		Example: `  sessionkit -u l keys prune --store ./sessions --dry-run
  sessionkit keys prune --store ./sessions
  sessionkit keys prune --store ./sessions --force`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if err := requireStore(store); err != nil {
				return err
			}
			return a.prune(cmd, store, dryRun, force)
		}),
	}
	store.register(cmd, "token store directory (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be deleted, delete nothing")
	cmd.Flags().BoolVar(&force, "force", false, "do not ask the cluster; delete every key expired by the local clock")
	return cmd
}

func (a *app) prune(cmd *cobra.Command, store storeFlags, dryRun, force bool) error {
	ctx := cmd.Context()
	st, err := a.openStore(ctx, store, false)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	var c *rpc.Client
	if !force {
		c = a.rpcClient()
		m, _, err := a.manager(c, false)
		if err != nil {
			return err
		}
		unix, err := m.ClusterTime(ctx)
		if err != nil {
			return err
		}
		now = time.Unix(unix, 0)
	}
	recs, err := st.ListExpired(ctx, now)
	unreadable, err := partialList(err)
	if err != nil {
		return err
	}
	out := make([]keyRecord, 0, len(recs))
	deleted := 0
	for _, r := range recs {
		k := newKeyRecord(r, now)
		keep := ""
		if !force {
			if keep, err = a.pruneBlocker(ctx, c, r); err != nil {
				return err
			}
		}
		switch {
		case keep != "":
			k.Action = "kept: " + keep
		case dryRun:
			k.Action = "would delete"
		default:
			if err := st.Delete(ctx, r.Token); err != nil && !errors.Is(err, tokenstore.ErrNotFound) {
				return err
			}
			k.Action = "deleted"
			deleted++
		}
		out = append(out, k)
	}
	if !a.env.format.IsJSON() && len(out) == 0 && unreadable == nil {
		// "No stored sessions" would be wrong: the store may hold live ones.
		what := "nothing to delete"
		if dryRun {
			what = "nothing would be deleted"
		}
		_, err := fmt.Fprintf(a.io.Out, "No expired session keys in %s: %s\n", store.name(), what)
		return err
	}
	if err := a.writeKeyRecords(out, unreadable, now.Unix(), true); err != nil {
		return err
	}
	if !a.env.format.IsJSON() && len(out) > 0 {
		if _, err := fmt.Fprintf(a.io.Out, "\n%d expired, %d deleted\n", len(out), deleted); err != nil {
			return err
		}
	}
	return unreadableFailure(unreadable)
}

// pruneBlocker says why deleting r's key would lose something, or "".
func (a *app) pruneBlocker(ctx context.Context, c *rpc.Client, r tokenstore.Record) (string, error) {
	_, err := c.GetAccountInfoWithOpts(ctx, r.Token, &rpc.GetAccountInfoOpts{Commitment: a.env.commitment,
		Encoding: solana.EncodingBase64})
	switch {
	case err == nil:
		return "token still exists: revoke it to recover rent and top-up", nil
	case !errors.Is(err, rpc.ErrNotFound):
		return "", err
	}
	bal, err := c.GetBalance(ctx, r.SessionSigner, a.env.commitment)
	if err != nil {
		return "", err
	}
	if bal.Value > 0 {
		return fmt.Sprintf("session signer holds %s", output.SOL(bal.Value)), nil
	}
	return "", nil
}

func (a *app) keysExportCmd() *cobra.Command {
	var store storeFlags
	var unsafe bool
	var outfile string
	cmd := &cobra.Command{
		Use:   "export <token> --store DIR --unsafe-export-secret-key [--outfile FILE]",
		Short: "Write a session key as a Solana keypair file (secret in clear)",
		Long: `Export the session signer key of a stored session in the Solana CLI's keypair format
(what solana-keygen writes), so the solana CLI or a wallet can sign with it — for
instance to move its lamports by hand. The file holds the secret key in clear, hence
the mandatory --unsafe-export-secret-key. It is written with mode 0600 to --outfile
(never over an existing file), or to stdout.`,
		Example: `  sessionkit keys export 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin --store ./sessions \
      --unsafe-export-secret-key --outfile session-signer.json
  solana balance -k session-signer.json`,
		Args: exactArgs("token"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			addr, err := parsePubkey("token address", args[0])
			if err != nil {
				return err
			}
			if err := requireStore(store); err != nil {
				return err
			}
			if !unsafe {
				return usageError("add --unsafe-export-secret-key if you mean to write the secret key in clear",
					"refusing to export a secret key without --unsafe-export-secret-key")
			}
			return a.export(cmd, addr, store, outfile)
		}),
	}
	store.register(cmd, "token store directory (required)")
	cmd.Flags().BoolVar(&unsafe, "unsafe-export-secret-key", false, "confirm writing the secret key in clear")
	cmd.Flags().StringVar(&outfile, "outfile", "", "file to create (mode 0600) instead of writing to stdout")
	return cmd
}

func (a *app) export(cmd *cobra.Command, addr solana.PublicKey, store storeFlags, outfile string) error {
	st, err := a.openStore(cmd.Context(), store, false)
	if err != nil {
		return err
	}
	defer st.Close()
	_, key, err := st.Get(cmd.Context(), addr)
	if errors.Is(err, tokenstore.ErrNotFound) {
		return negative("'sessionkit keys list --store DIR' shows the stored tokens", "no key for %s in %s", addr, store.name())
	}
	if err != nil {
		return err
	}
	defer key.Zero()
	data, err := tokenstore.ExportSolanaKeypair(key)
	if err != nil {
		return err
	}
	defer clear(data)
	if outfile == "" {
		if _, err = a.io.Out.Write(data); err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.io.Out)
		return err
	}
	err = writeSecretFile(outfile, data, false)
	if errors.Is(err, fs.ErrExist) {
		return failure("export never overwrites a file (it may hold another key): choose another --outfile, or move the file away", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.io.Err, "Wrote the secret key of session signer %s to %s\n", key.PublicKey(), outfile)
	return nil
}
