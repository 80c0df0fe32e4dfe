package cli

import (
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
)

// signedOut is revoke --all's output.
type signedOut struct {
	Authority  string           `json:"authority"`
	ProgramIDs []string         `json:"programIds"`
	Revoked    []signedOutToken `json:"revoked"`
	// Wallet holds base64 transactions closing active V2 tokens, for the authority's
	// wallet to sign and send, when -k is not the authority.
	Wallet       []string          `json:"walletTransactions"`
	WalletTokens []string          `json:"walletTokens"`
	Failed       []signedOutFailed `json:"failed"`
}

type signedOutToken struct {
	Token      string `json:"token"`
	ProgramID  string `json:"programId"`
	Version    int    `json:"version"`
	Signature  string `json:"signature"`
	Swept      uint64 `json:"sweptLamports"`
	Tokens     int    `json:"tokenAccountsSwept"`
	KeyDeleted bool   `json:"keyDeleted"`
}

type signedOutFailed struct {
	Token     string `json:"token"`
	ProgramID string `json:"programId"`
	Error     string `json:"error"`
}

// registerRevokeAll adds revoke's --all flags.
func registerRevokeAll(cmd *cobra.Command, all *bool, authority *string, both *bool) {
	f := cmd.Flags()
	f.BoolVar(all, "all", false, "sign the --authority out everywhere: revoke every session token it has")
	f.StringVar(authority, "authority", "", "with --all: the authority (default: the -k keypair's address)")
	f.BoolVar(both, "both-programs", false, "with --all: search the MagicBlock and the Gum-era session programs, not only -p's")
}

// revokeAll signs an authority out everywhere: session.Manager.RevokeAll with the store's
// keys; -k signs as authority when it is the authority, and pays otherwise.
func (a *app) revokeAll(cmd *cobra.Command, authority string, both bool, store storeFlags) error {
	ctx := cmd.Context()
	p := session.RevokeAllParams{}
	var key *txn.SessionKey
	if a.env.keypairPath != "" {
		var err error
		if key, err = a.keypair("authority or fee payer"); err != nil {
			return err
		}
		defer key.Zero()
	}
	switch {
	case authority != "":
		auth, err := parsePubkey("--authority", authority)
		if err != nil {
			return err
		}
		p.Authority = auth
	case key != nil:
		p.Authority = key.PublicKey()
	default:
		return usageError("pass --authority ADDRESS, or -k with the authority's keypair", "revoke --all needs an authority")
	}
	if key != nil && key.PublicKey() == p.Authority {
		p.AuthorityKey = key
	}
	p.FeePayer = key
	p.ProgramIDs = []solana.PublicKey{a.env.programID}
	if both {
		p.ProgramIDs = []solana.PublicKey{pda.MagicBlockProgramID, pda.GumProgramID}
	}
	if store.dir != "" {
		st, err := a.openStore(ctx, store, false)
		if err != nil {
			return err
		}
		defer st.Close()
		p.Persister = session.StorePersister(st, a.env.programID)
	}
	m, snd, err := a.manager(a.rpcClient(), true)
	if err != nil {
		return err
	}
	defer snd.Close()
	task := a.progress().Start("Signing " + p.Authority.String() + " out everywhere")
	res, rerr := m.RevokeAll(ctx, p)
	task.Done()
	if res == nil {
		return rerr
	}
	out := signedOut{Authority: p.Authority.String(), Revoked: []signedOutToken{}, Wallet: []string{}, WalletTokens: []string{}, Failed: []signedOutFailed{}}
	for _, id := range p.ProgramIDs {
		out.ProgramIDs = append(out.ProgramIDs, id.String())
	}
	for _, r := range res.Revoked {
		t := signedOutToken{Token: r.Token.String(), ProgramID: r.ProgramID.String(), Version: int(r.Version), Signature: r.Signature.String(), KeyDeleted: r.KeyDeleted}
		if r.Result != nil {
			t.Swept, t.Tokens = r.Result.Swept, len(r.Result.Tokens)
		}
		out.Revoked = append(out.Revoked, t)
	}
	for _, w := range res.Wallet {
		out.Wallet = append(out.Wallet, w.Base64())
	}
	for _, t := range res.WalletTokens {
		out.WalletTokens = append(out.WalletTokens, t.String())
	}
	for _, f := range res.Failed {
		out.Failed = append(out.Failed, signedOutFailed{Token: f.Token.String(), ProgramID: f.ProgramID.String(), Error: f.Err.Error()})
	}
	if a.env.format.IsJSON() {
		if err := output.WriteJSON(a.io.Out, a.env.format, out); err != nil {
			return err
		}
	} else if err := writeSignedOut(a.io, out); err != nil {
		return err
	}
	if rerr != nil {
		return failure("the tokens listed as failed are still open; fix what their errors say and run revoke --all again",
			fmt.Errorf("%d of the authority's tokens could not be revoked", len(res.Failed)))
	}
	return nil
}

func writeSignedOut(io IO, s signedOut) error {
	fmt.Fprintf(io.Out, "Signed out %s: %d token(s) closed, %d waiting for the wallet, %d failed\n\n",
		s.Authority, len(s.Revoked), len(s.WalletTokens), len(s.Failed))
	if len(s.Revoked) > 0 {
		t := output.NewTable(io.Out, "TOKEN", "VER", "SWEPT", "TOKEN ACCOUNTS", "KEY", "SIGNATURE")
		for _, r := range s.Revoked {
			key := "not in the store"
			if r.KeyDeleted {
				key = "deleted"
			}
			t.Row(r.Token, fmt.Sprintf("v%d", r.Version), output.SOL(r.Swept), fmt.Sprint(r.Tokens), key, r.Signature)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	for i, w := range s.Wallet {
		fmt.Fprintf(io.Out, "\nActive V2 tokens need the authority's signature. Wallet transaction %d (base64; sign and send it):\n%s\n", i+1, w)
	}
	for _, f := range s.Failed {
		fmt.Fprintf(io.Out, "\nFailed: %s: %s\n", f.Token, f.Error)
	}
	return nil
}
