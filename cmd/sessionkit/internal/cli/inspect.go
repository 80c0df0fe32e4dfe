package cli

import (
	"errors"
	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
	"github.com/sessionkit/sessionkit/pda"
)

// triple names a token by what its address derives from.
type triple struct {
	authority, signer, target string
	v2                        bool
}

func (t *triple) register(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringVar(&t.authority, "authority", "", "authority (wallet) of the token"+what)
	f.StringVar(&t.signer, "signer", "", "session signer (ephemeral key) of the token"+what)
	f.StringVar(&t.target, "target", "", "target program of the token"+what)
}

func (t *triple) given() bool { return t.authority != "" || t.signer != "" || t.target != "" }

// address derives the token address from the triple under programID.
func (t *triple) address(programID solana.PublicKey) (solana.PublicKey, error) {
	if t.authority == "" || t.signer == "" || t.target == "" {
		return solana.PublicKey{}, usageError("", "deriving a token address needs --authority, --signer and --target")
	}
	authority, err := parsePubkey("--authority", t.authority)
	if err != nil {
		return solana.PublicKey{}, err
	}
	signer, err := parsePubkey("--signer", t.signer)
	if err != nil {
		return solana.PublicKey{}, err
	}
	target, err := parsePubkey("--target", t.target)
	if err != nil {
		return solana.PublicKey{}, err
	}
	v := pda.V1
	if t.v2 {
		v = pda.V2
	}
	addr, _, err := pda.Find(v, programID, target, signer, authority)
	return addr, err
}

func (a *app) inspectCmd() *cobra.Command {
	var tr triple
	var store storeFlags
	cmd := &cobra.Command{
		Use:   "inspect <token> | inspect --authority A --signer S --target T [--v2]",
		Short: "Show a session token: its fields, expiry and status by cluster time",
		Long: `Fetch a session token account and decode it (V1 or V2): authority, target program,
session signer, fee payer (V2), valid-until in UTC and relative to the cluster's clock,
and its status: active, expired (by the cluster's clock, which is what the program
uses), not found, or not a session token (with the reason). Instead of the token's
address, give the three keys it derives from.

Exit code 3 when there is no session token at the address.`,
		Example: `  sessionkit inspect 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin
  sessionkit inspect --authority 7Np4…K2 --signer 5ZWj…tV --target B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi
  sessionkit -u l inspect 9xQe…Fin --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if tr.given() {
				return noArgs(cmd, args)
			}
			return exactArgs("token")(cmd, args)
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var addr solana.PublicKey
			var err error
			if len(args) == 1 {
				addr, err = parsePubkey("token address", args[0])
			} else {
				addr, err = tr.address(a.env.programID)
			}
			if err != nil {
				return err
			}
			return a.inspect(cmd, addr, store)
		}),
	}
	tr.register(cmd, " (instead of <token>)")
	store.register(cmd, "token store directory: show the session's grant from it, check its hash against the create transaction's memo, and show what its counters leave")
	cmd.Flags().BoolVar(&tr.v2, "v2", false, "derive the V2 (session_token_v2) address instead of V1")
	return cmd
}

func (a *app) inspect(cmd *cobra.Command, addr solana.PublicKey, store storeFlags) error {
	m, _, err := a.manager(a.rpcClient(), false)
	if err != nil {
		return err
	}
	ins, err := m.Check(cmd.Context(), addr, client.Expected{NoTransaction: true})
	if ins == nil {
		return err
	}
	v := tokenview.New(a.env.programID, ins, err)
	var st cliStore
	if store.dir != "" && v.Found() {
		if st, err = a.openStore(cmd.Context(), store, false); err != nil {
			return err
		}
		defer st.Close()
	}
	if v.Found() {
		// The store's token caps add the delegate allowances, which the chain does not
		// list by signer.
		var granted []session.TokenCap
		if st != nil {
			if granted, err = session.StoredTokenCaps(cmd.Context(), st, addr); err != nil {
				return err
			}
		}
		caps, err := m.GrantedCaps(cmd.Context(), ins.Token.SessionSigner, granted)
		if err != nil {
			return err
		}
		v.SetCaps(caps)
	}
	var gv *grantView
	if st != nil {
		authority, _ := solana.PublicKeyFromBase58(v.Authority)
		if gv, err = inspectGrant(cmd.Context(), m, st, addr, authority); err != nil {
			return err
		}
		if gv != nil && gv.Document != nil {
			budgets, err := session.GrantBudgets(cmd.Context(), st, addr, gv.Document)
			if err != nil {
				return err
			}
			v.SetGrantLeft(budgets)
		}
	}
	if a.env.format.IsJSON() {
		out := any(v)
		if gv != nil {
			out = struct {
				*tokenview.View
				Grant *grantView `json:"grant"`
			}{v, gv}
		}
		if err := output.WriteJSON(a.io.Out, a.env.format, out); err != nil {
			return err
		}
	} else if v.Found() {
		if err := v.WriteText(a.io.Out); err != nil {
			return err
		}
		if gv != nil {
			if err := gv.writeText(a.io.Out); err != nil {
				return err
			}
		}
	}
	if gv != nil && gv.Check == "tampered" {
		return failure("the store's copy of the grant is not the one the wallet signed; do not trust its bounds", errors.New(gv.Reason))
	}
	switch v.Status {
	case tokenview.NotFound:
		return negative("check the address and the cluster (-u); a revoked token's account is gone",
			"no session token at %s: %s", addr, v.Reason)
	case tokenview.NotToken:
		return negative("", "%s is not a session token: %s", addr, v.Reason)
	}
	return nil
}
