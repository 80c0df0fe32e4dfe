package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gagliardetto/solana-go"
	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
	"github.com/sessionkit/sessionkit/pda"
)

// check is one of the program's checks, in the order it makes them (wire reference §6).
type check struct {
	Step   string `json:"step"`
	Name   string `json:"name"`
	Rule   string `json:"rule"`
	Result string `json:"result"` // ok, failed, not-reached, assumed
	Detail string `json:"detail,omitempty"`
}

var checks = []check{
	{Step: "a", Name: "owner", Rule: "the session program owns the account"},
	{Step: "b", Name: "account", Rule: "discriminator and length of a SessionToken or SessionTokenV2"},
	{Step: "c", Name: "pda", Rule: "address = PDA(seed, target program, session signer, authority)"},
	{Step: "d", Name: "authority", Rule: "the token records the expected authority"},
	{Step: "e", Name: "expiry", Rule: "cluster time < valid_until"},
	{Step: "f", Name: "signer", Rule: "the session signer signs the transaction"},
}

// failedStep maps a validation failure to the index of its check.
func failedStep(err error) int {
	switch {
	case errors.Is(err, session.ErrNotFound), errors.Is(err, client.ErrWrongOwner):
		// Anchor refuses a missing account while loading it, before the owner check
		// proper (AccountNotInitialized): step a's failure.
		return 0
	case errors.Is(err, client.ErrNotSessionToken):
		return 1
	case errors.Is(err, client.ErrPDAMismatch):
		return 2
	case errors.Is(err, client.ErrAuthorityMismatch):
		return 3
	case errors.Is(err, client.ErrExpired):
		return 4
	case errors.Is(err, client.ErrSignerMissing):
		return 5
	}
	return -1
}

// verdict is validate's output.
type verdict struct {
	Token          string  `json:"token"`
	ProgramID      string  `json:"programId"`
	TargetProgram  string  `json:"targetProgram"`
	SessionSigner  string  `json:"sessionSigner"`
	Authority      string  `json:"authority"`
	TokenVersion   string  `json:"tokenVersion"`
	ClusterTime    int64   `json:"clusterTime"`
	ClusterTimeUTC string  `json:"clusterTimeUtc"`
	Valid          bool    `json:"valid"`
	FailedCheck    string  `json:"failedCheck,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	ValidUntilUTC  string  `json:"validUntilUtc,omitempty"`
	Checks         []check `json:"checks"`
	// Defaulted names the flags taken from the token itself (signer, authority).
	Defaulted []string `json:"defaultedFromToken,omitempty"`
}

func (a *app) validateCmd() *cobra.Command {
	var signer, authority, target, version string
	cmd := &cobra.Command{
		Use:   "validate <token> [--signer S] [--authority A] [--target T]",
		Short: "Run the checks a target program makes on a session token",
		Long: `Mirror, off chain and in the same order, the checks a target program's session
macros make before accepting a move signed by a session key:

  a. owner      the session program owns the account
  b. account    discriminator and length of a SessionToken (V1) or SessionTokenV2
  c. pda        the address is PDA(seed, target program, session signer, authority)
  d. authority  the token records the expected authority
  e. expiry     the cluster's clock is before valid_until
  f. signer     the session signer signs the transaction (assumed: no transaction here)

The first failing check is named. --target defaults to the target program the token
records, which makes check c prove only the signer and authority. --signer and
--authority default to the token's own (the output says so): c and d then prove only
that the token is consistent, not that it is the one a move would bring.

Exit code 3 when the token is invalid.`,
		Example: `  sessionkit validate 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin \
      --signer 5ZWj7a1f8tWkjBESHKgrLmXshuXxqeY9SYcfbshpAqPG \
      --authority 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2 \
      --target B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi
  sessionkit validate 9xQe…Fin --signer 5ZWj…qPG --authority 7Np4…4K2 --token-version v2 --output json`,
		Args: exactArgs("token"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			addr, err := parsePubkey("token address", args[0])
			if err != nil {
				return err
			}
			want := client.Expected{ProgramID: a.env.programID}
			if signer != "" {
				if want.SessionSigner, err = parsePubkey("--signer", signer); err != nil {
					return err
				}
			}
			if authority != "" {
				if want.Authority, err = parsePubkey("--authority", authority); err != nil {
					return err
				}
			}
			if target != "" {
				if want.TargetProgram, err = parsePubkey("--target", target); err != nil {
					return err
				}
			}
			switch version {
			case "any":
			case "v1", "1":
				want.Version = pda.V1
			case "v2", "2":
				want.Version = pda.V2
			default:
				return usageError("", "--token-version must be any, v1 or v2, not %q", version)
			}
			return a.validate(cmd, addr, want)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&signer, "signer", "", "session signer expected to sign (default: the token's own)")
	f.StringVar(&authority, "authority", "", "authority the target program expects, e.g. the game account's owner (default: the token's own)")
	f.StringVar(&target, "target", "", "target program running the checks (default: the token's own)")
	f.StringVar(&version, "token-version", "any", "token type the target program declares: any, v1 (SessionToken) or v2 (SessionTokenV2)")
	return cmd
}

func (a *app) validate(cmd *cobra.Command, addr solana.PublicKey, want client.Expected) error {
	m, _, err := a.manager(a.rpcClient(), false)
	if err != nil {
		return err
	}
	// Step f needs a transaction, and there is none: validate asks whether the program
	// would accept one that the session signer did sign, and reports f as assumed.
	want.NoTransaction = true
	defaulted, err := defaultFromToken(cmd.Context(), m, addr, &want)
	if err != nil {
		return err
	}
	ins, verr := m.Check(cmd.Context(), addr, want)
	if ins == nil {
		return verr
	}
	want.ClusterTime = ins.ClusterTime
	var tok client.TokenAccount
	if ins.Token != nil {
		tok = ins.Token.TokenAccount
		if want.TargetProgram.IsZero() {
			// Check judged it by the token's own target, which the output names.
			want.TargetProgram = tok.TargetProgram
		}
	}

	v := verdict{Token: addr.String(), ProgramID: want.ProgramID.String(), SessionSigner: want.SessionSigner.String(),
		Authority: want.Authority.String(), TokenVersion: versionName(want.Version), ClusterTime: want.ClusterTime,
		ClusterTimeUTC: output.UTC(want.ClusterTime), Valid: verr == nil, Checks: make([]check, len(checks)),
		Defaulted: defaulted}
	if !want.TargetProgram.IsZero() {
		v.TargetProgram = want.TargetProgram.String()
	}
	failed := len(checks)
	if verr != nil {
		if failed = failedStep(verr); failed < 0 {
			return verr
		}
		v.FailedCheck = checks[failed].Name
		v.Reason = reason(verr)
	}
	for i, ch := range checks {
		switch {
		case i < failed && ch.Name == "signer":
			ch.Result, ch.Detail = "assumed", want.SessionSigner.String()+" must sign each transaction"
		case i < failed:
			ch.Result = "ok"
		case i == failed:
			ch.Result, ch.Detail = "failed", v.Reason
		default:
			ch.Result = "not-reached"
		}
		v.Checks[i] = ch
	}
	if v.Valid {
		v.ValidUntilUTC = output.UTC(tok.ValidUntil)
	}

	if a.env.format.IsJSON() {
		err = output.WriteJSON(a.io.Out, a.env.format, v)
	} else {
		err = writeVerdict(a.io, v, tok)
	}
	if err != nil {
		return err
	}
	if !v.Valid {
		return negative("", "invalid session token: check %s (%s) failed: %s", checks[failed].Step, v.FailedCheck, v.Reason)
	}
	return nil
}

// defaultFromToken fills the signer and authority not given from the token at addr and
// returns the flags it filled. A missing or foreign account leaves them zero: Check then
// fails on the account before it compares them.
func defaultFromToken(ctx context.Context, m *session.Manager, addr solana.PublicKey, want *client.Expected) ([]string, error) {
	if !want.SessionSigner.IsZero() && !want.Authority.IsZero() {
		return nil, nil
	}
	tok, err := m.Get(ctx, addr)
	switch {
	case errors.Is(err, session.ErrNotFound), errors.Is(err, session.ErrMismatch):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var filled []string
	if want.SessionSigner.IsZero() {
		want.SessionSigner = tok.SessionSigner
		filled = append(filled, "--signer")
	}
	if want.Authority.IsZero() {
		want.Authority = tok.Authority
		filled = append(filled, "--authority")
	}
	return filled, nil
}

// reason is a validation failure as the output shows it.
func reason(err error) string {
	if errors.Is(err, session.ErrNotFound) {
		return "no account at this address (Anchor: AccountNotInitialized)"
	}
	return tokenview.Reason(err)
}

// versionName names the token version validate was asked for: v1, v2 or any.
func versionName(v pda.Version) string {
	if v.Valid() {
		return v.String()
	}
	return "any"
}

func writeVerdict(io IO, v verdict, tok client.TokenAccount) error {
	f := output.NewFields(io.Out)
	f.Add("Token", v.Token)
	f.Add("Session Program", v.ProgramID)
	target := v.TargetProgram
	if target == "" {
		target = "(unknown: not given, and the account is not a token)"
	}
	f.Add("Target Program", target)
	f.Add("Session Signer", v.SessionSigner)
	f.Add("Authority", v.Authority)
	f.Add("Token Version", v.TokenVersion)
	f.Add("Cluster Time", v.ClusterTimeUTC)
	if err := f.Flush(); err != nil {
		return err
	}
	if len(v.Defaulted) > 0 {
		fmt.Fprintf(io.Out, "\nNote: %s not given: the token's own were used, so checks c and d show only that the token is consistent.\n",
			strings.Join(v.Defaulted, " and "))
	}
	fmt.Fprintln(io.Out)
	t := output.NewTable(io.Out, "CHECK", "RULE", "RESULT")
	for _, ch := range v.Checks {
		res := ch.Result
		if ch.Detail != "" {
			res += ": " + ch.Detail
		}
		t.Row(ch.Step+". "+ch.Name, ch.Rule, res)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(io.Out)
	if v.Valid {
		_, err := fmt.Fprintf(io.Out, "Valid: the target program accepts this token until %s (%s).\n",
			v.ValidUntilUTC, output.Relative(tok.ValidUntil, v.ClusterTime))
		return err
	}
	_, err := fmt.Fprintf(io.Out, "Invalid: first failing check is %s (%s).\n", v.FailedCheck, v.Reason)
	return err
}
