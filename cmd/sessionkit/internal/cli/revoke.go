package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// revoked is revoke's output.
type revoked struct {
	Token     string `json:"token"`
	Version   int    `json:"version"`
	Signature string `json:"signature"`
	Rent      uint64 `json:"rentLamports"`
	RentTo    string `json:"rentTo"`
	Swept     uint64 `json:"sweptLamports"`
	SweptTo   string `json:"sweptTo,omitempty"`
	Fee       uint64 `json:"feeLamports"`
	FeePayer  string `json:"feePayer"`
	// SignerLeft is what stays with the session signer when its key is not at hand.
	SignerLeft uint64 `json:"signerLamportsLeft"`
	KeyStatus  string `json:"sessionKey"`
	// Tokens are the session's token accounts emptied back to the authority and closed.
	Tokens []revokedTokens `json:"tokens,omitempty"`
	// Allowances are the delegate allowances the revoke ended (the store's token caps
	// name them).
	Allowances []revokedAllowance `json:"allowancesEnded,omitempty"`
	// tokensLeft: token accounts the revoke could not close keep the key in the store.
	tokensLeft int
}

type revokedAllowance struct {
	Mint      string `json:"mint"`
	Account   string `json:"account"`
	Remaining uint64 `json:"remaining"`
}

type revokedTokens struct {
	Mint    string `json:"mint"`
	Account string `json:"account"`
	Amount  uint64 `json:"amount"`
	To      string `json:"to"`
	Rent    uint64 `json:"rentLamports"`
	RentTo  string `json:"rentTo"`
}

func (a *app) revokeCmd() *cobra.Command {
	var store storeFlags
	var keepKey, all, both bool
	var authority string
	cmd := &cobra.Command{
		Use:   "revoke <token> [--store DIR] | revoke --all [--authority A] [--both-programs] [--store DIR]",
		Short: "Revoke a session token and sweep the session signer's lamports back",
		Long: `Close a session token: its rent goes back to the authority (V1) or to the recorded
fee payer (V2). With the session key in the --store, the same transaction sweeps the
session signer's remaining lamports (the unspent top-up) there too, and the key is then
deleted from the store (--keep-key keeps it).

Anyone may revoke a V1 token, or a V2 token once expired; an active V2 token needs its
authority's signature, so -k must then be the authority's keypair. The session signer
pays the fee from its own lamports when it can; otherwise the -k keypair does.

With --all, sign an authority out everywhere: every V1 and V2 token of --authority
(found with getProgramAccounts) is closed, as many per transaction as fit; tokens whose
keys are in the --store are swept back (SOL and token top-ups) and their keys deleted.
Active V2 tokens need the authority's signature: with -k the authority's keypair they
are revoked at once, otherwise they are printed as one transaction for the wallet.

Exit code 3 when there is no session token at the address.`,
		Example: `  sessionkit revoke 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin --store ./sessions
  sessionkit -k wallet.json revoke --all --store ./sessions --both-programs
  sessionkit -k ~/.config/solana/id.json revoke 9xQe…Fin
  sessionkit revoke 9xQe…Fin --store ./sessions --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if all {
				return noArgs(cmd, args)
			}
			return exactArgs("token")(cmd, args)
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if all {
				return a.revokeAll(cmd, authority, both, store)
			}
			if authority != "" || both {
				return usageError("", "--authority and --both-programs go with --all")
			}
			addr, err := parsePubkey("token address", args[0])
			if err != nil {
				return err
			}
			return a.revoke(cmd, addr, store, keepKey)
		}),
	}
	store.register(cmd, "token store holding the session key (enables the sweep)")
	cmd.Flags().BoolVar(&keepKey, "keep-key", false, "keep the session key in the store after the revoke")
	registerRevokeAll(cmd, &all, &authority, &both)
	return cmd
}

func (a *app) revoke(cmd *cobra.Command, addr solana.PublicKey, store storeFlags, keepKey bool) error {
	ctx := cmd.Context()
	c := a.rpcClient()
	m, snd, err := a.manager(c, true)
	if err != nil {
		return err
	}
	defer snd.Close()
	tok, err := m.Get(ctx, addr)
	switch {
	case errors.Is(err, session.ErrNotFound):
		return negative("a revoked token's account is gone; check the address and the cluster (-u)", "no session token at %s", addr)
	case errors.Is(err, session.ErrMismatch):
		return negative("", "%s is not a session token: %v", addr, err)
	case err != nil:
		return err
	}
	now, err := m.ClusterTime(ctx)
	if err != nil {
		return err
	}

	var st cliStore
	var key *txn.SessionKey
	if store.dir != "" {
		if st, err = a.openStore(ctx, store, false); err != nil {
			return err
		}
		defer st.Close()
		_, key, err = st.Get(ctx, addr)
		switch {
		case errors.Is(err, tokenstore.ErrNotFound):
			key = nil
		case err != nil:
			return err
		default:
			defer key.Zero()
		}
	}
	var caps []session.TokenCap
	if key != nil {
		// The caps granted at create: the delegate allowances among them end with the key.
		if caps, err = session.StoredTokenCaps(ctx, st, addr); err != nil {
			return err
		}
	}

	out := revoked{Token: addr.String(), Version: int(tok.Version), Rent: tok.Lamports, RentTo: tok.Authority.String()}
	if tok.Version == pda.V2 {
		out.RentTo = tok.FeePayer.String()
	}
	task := a.progress().Start("Revoking " + addr.String())
	err = a.revokeToken(ctx, c, m, tok, key, caps, now, &out)
	task.Done()
	if err != nil {
		return err
	}

	switch {
	case key == nil && store.dir != "":
		out.KeyStatus = "not in " + store.name()
	case key == nil:
		out.KeyStatus = "not at hand (no --store)"
	case keepKey:
		out.KeyStatus = "kept in " + store.name()
	case out.tokensLeft > 0:
		out.KeyStatus = fmt.Sprintf("kept in %s: %d token account(s) of the session signer could not be closed", store.name(), out.tokensLeft)
	default:
		if err := st.Delete(ctx, addr); err != nil {
			return fmt.Errorf("revoked, but deleting the key from the store: %w", err)
		}
		out.KeyStatus = "deleted from " + store.name()
	}
	if a.env.format.IsJSON() {
		return output.WriteJSON(a.io.Out, a.env.format, out)
	}
	return writeRevoked(a.io, out)
}

// revokeToken revokes through the session Manager, which sweeps the signer's lamports in
// the same transaction when its key is at hand, expired or not. The signer pays the fee
// when it can; otherwise, and always without the key, the -k keypair does.
func (a *app) revokeToken(ctx context.Context, c *rpc.Client, m *session.Manager, tok *session.TokenStatus,
	key *txn.SessionKey, caps []session.TokenCap, now int64, out *revoked) error {
	p := session.RevokeParams{SessionKey: key, Tokens: caps}
	var err error
	if tok.RevokeNeedsAuthority(now) {
		if p.Authority, err = a.authorityKey(tok); err != nil {
			return err
		}
		defer p.Authority.Zero()
	}
	if key == nil {
		// Reported as left behind: without the key nothing can move it.
		bal, err := c.GetBalance(ctx, tok.SessionSigner, a.env.commitment)
		if err != nil {
			return err
		}
		out.SignerLeft = bal.Value
		if p.Authority == nil {
			if p.FeePayer, err = a.keypair("fee payer"); err != nil {
				return err
			}
			defer p.FeePayer.Zero()
		}
	}
	res, err := m.RevokeToken(ctx, tok.Address, p)
	if errors.Is(err, session.ErrNoSweep) {
		// The session signer cannot pay the fee: the -k keypair pays, and the sweep takes
		// the signer's whole balance.
		if p.FeePayer, err = a.keypair("fee payer"); err != nil {
			return err
		}
		defer p.FeePayer.Zero()
		res, err = m.RevokeToken(ctx, tok.Address, p)
	}
	if err != nil {
		return err
	}
	out.Signature, out.Swept, out.Fee = res.Signature.String(), res.Swept, res.Fee
	out.tokensLeft = len(res.TokensLeft)
	for _, al := range res.Allowances {
		out.Allowances = append(out.Allowances, revokedAllowance{Mint: al.Mint.String(), Account: al.Account.String(), Remaining: al.Remaining})
	}
	for _, t := range res.Tokens {
		out.Tokens = append(out.Tokens, revokedTokens{Mint: t.Mint.String(), Account: t.Account.String(), Amount: t.Amount,
			To: t.To.String(), Rent: t.Rent, RentTo: t.RentTo.String()})
	}
	if res.Swept > 0 {
		out.SweptTo = res.SweptTo.String()
	}
	switch {
	case p.FeePayer != nil:
		out.FeePayer = p.FeePayer.PublicKey().String()
	case key == nil:
		out.FeePayer = p.Authority.PublicKey().String()
	default:
		out.FeePayer = tok.SessionSigner.String()
	}
	return nil
}

// authorityKey loads -k and checks that it is the token's authority.
func (a *app) authorityKey(tok *session.TokenStatus) (*txn.SessionKey, error) {
	k, err := a.keypair("authority")
	if err != nil {
		return nil, err
	}
	if k.PublicKey() != tok.Authority {
		k.Zero()
		return nil, failure("pass the authority's keypair with -k",
			fmt.Errorf("%s is an active V2 token: only its authority %s may revoke it", tok.Address, tok.Authority))
	}
	return k, nil
}

func writeRevoked(io IO, r revoked) error {
	fmt.Fprintln(io.Out, "Session revoked")
	fmt.Fprintln(io.Out)
	f := output.NewFields(io.Out)
	f.Add("Token", r.Token+" (closed)")
	f.Add("Signature", r.Signature)
	f.Add("Rent Returned", fmt.Sprintf("%s (%d lamports) to %s", output.SOL(r.Rent), r.Rent, r.RentTo))
	if r.Swept > 0 {
		f.Add("Swept", fmt.Sprintf("%s (%d lamports) from the session signer to %s", output.SOL(r.Swept), r.Swept, r.SweptTo))
	} else {
		f.Add("Swept", "nothing")
	}
	for _, t := range r.Tokens {
		f.Add("Tokens Returned", fmt.Sprintf("%d of mint %s to %s; account closed, rent %s to %s", t.Amount, t.Mint, t.To, output.SOL(t.Rent), t.RentTo))
	}
	for _, al := range r.Allowances {
		f.Add("Allowance Ended", fmt.Sprintf("%d of mint %s left on %s, no longer the session's", al.Remaining, al.Mint, al.Account))
	}
	f.Add("Fee", fmt.Sprintf("%d lamports, paid by %s", r.Fee, r.FeePayer))
	if r.SignerLeft > 0 {
		f.Add("Left Behind", fmt.Sprintf("%s (%d lamports) with the session signer, whose key is not at hand", output.SOL(r.SignerLeft), r.SignerLeft))
	}
	f.Add("Session Key", r.KeyStatus)
	return f.Flush()
}
