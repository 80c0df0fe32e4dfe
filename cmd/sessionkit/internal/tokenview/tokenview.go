// Package tokenview renders a session token account, as the session package read and
// judged it, for people (in the manner of `solana account`) and for programs (JSON).
package tokenview

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
)

// Status is what an address holds, judged by the cluster's clock.
type Status string

// The statuses of an inspected address.
const (
	Active   Status = "active"
	Expired  Status = "expired"
	NotFound Status = "not-found"
	NotToken Status = "not-a-session-token"
)

// View is an inspected address. Account fields are set when an account exists; token
// fields when it is a session token.
type View struct {
	Token          string `json:"token"`
	ProgramID      string `json:"programId"`
	Status         Status `json:"status"`
	Reason         string `json:"reason,omitempty"`
	ClusterTime    int64  `json:"clusterTime"`
	ClusterTimeUTC string `json:"clusterTimeUtc"`

	Lamports   *uint64 `json:"lamports,omitempty"`
	Owner      string  `json:"owner,omitempty"`
	Executable *bool   `json:"executable,omitempty"`
	RentEpoch  *uint64 `json:"rentEpoch,omitempty"`
	Space      *int    `json:"space,omitempty"`

	Version            int    `json:"version,omitempty"`
	Authority          string `json:"authority,omitempty"`
	TargetProgram      string `json:"targetProgram,omitempty"`
	SessionSigner      string `json:"sessionSigner,omitempty"`
	FeePayer           string `json:"feePayer,omitempty"`
	ValidUntil         *int64 `json:"validUntil,omitempty"`
	ValidUntilUTC      string `json:"validUntilUtc,omitempty"`
	SecondsUntilExpiry *int64 `json:"secondsUntilExpiry,omitempty"`

	// Caps is what the session signer can still spend, read from the chain; set by
	// SetCaps.
	Caps *Caps `json:"caps,omitempty"`
	// GrantLeft is what remains of the totals of the session's grant, enforced by
	// sessionkit before it signs (the caps above are the chain's); set by SetGrantLeft
	// when the store holds the grant.
	GrantLeft []Budget `json:"grantLeft,omitempty"`
}

// Budget is what remains of one total of a grant.
type Budget struct {
	Bound string `json:"bound"`
	Mint  string `json:"mint,omitempty"`
	Limit uint64 `json:"limit"`
	Used  uint64 `json:"used"`
	Left  uint64 `json:"left"`
}

// SetGrantLeft records what remains of the grant's totals.
func (v *View) SetGrantLeft(budgets []session.Budget) {
	v.GrantLeft = make([]Budget, len(budgets))
	for i, b := range budgets {
		v.GrantLeft[i] = Budget{Bound: b.Bound, Limit: b.Limit, Used: b.Used, Left: b.Left}
		if !b.Mint.IsZero() {
			v.GrantLeft[i].Mint = b.Mint.String()
		}
	}
}

// Text is one budget in words.
func (b Budget) Text() string {
	switch b.Bound {
	case session.BoundMaxUses:
		return fmt.Sprintf("%d of %d moves", b.Left, b.Limit)
	case session.BoundNative:
		return fmt.Sprintf("%d of %d lamports", b.Left, b.Limit)
	}
	return fmt.Sprintf("%d of %d of mint %s", b.Left, b.Limit, b.Mint)
}

// GrantText is the grant's budgets in one short line, for tables; "-" without a grant.
func (v *View) GrantText() string {
	if v.GrantLeft == nil {
		return "-"
	}
	var parts []string
	for _, b := range v.GrantLeft {
		switch b.Bound {
		case session.BoundMaxUses:
			parts = append(parts, fmt.Sprintf("%d/%d moves", b.Left, b.Limit))
		case session.BoundNative:
			parts = append(parts, fmt.Sprintf("%d/%d lamports", b.Left, b.Limit))
		default:
			parts = append(parts, fmt.Sprintf("%d/%d %s…", b.Left, b.Limit, b.Mint[:min(4, len(b.Mint))]))
		}
	}
	if len(parts) == 0 {
		return "no totals"
	}
	return strings.Join(parts, ", ")
}

// Caps is what remains of a session's on-chain caps: the session signer's lamports (its
// SOL cap) and what its token accounts hold (its token top-ups).
type Caps struct {
	SOLLamports uint64     `json:"solLamports"`
	Tokens      []TokenCap `json:"tokens"`
}

// TokenCap is one token cap left.
type TokenCap struct {
	Mint    string `json:"mint"`
	Program string `json:"program"`
	Account string `json:"account"`
	Mode    string `json:"mode"`
	Amount  uint64 `json:"amount"`
}

// SetCaps records what remains of the session's caps.
func (v *View) SetCaps(c *session.Caps) {
	out := &Caps{SOLLamports: c.SOL, Tokens: []TokenCap{}}
	for _, t := range c.Tokens {
		out.Tokens = append(out.Tokens, TokenCap{Mint: t.Mint.String(), Program: t.Program.String(), Account: t.Account.String(),
			Mode: t.Mode.String(), Amount: t.Remaining})
	}
	v.Caps = out
}

// CapsText is the caps in one short line, for tables.
func (c *Caps) CapsText() string {
	text := output.SOL(c.SOLLamports)
	if n := len(c.Tokens); n > 0 {
		text += fmt.Sprintf(" + %d token account(s)", n)
	}
	return text
}

// Found reports whether the address holds a session token (active or expired).
func (v *View) Found() bool { return v.Status == Active || v.Status == Expired }

// New is the View of what Manager.Check read, judged as err says (the error Check
// returned with it): ErrNotFound, a failed check, or nil.
func New(programID solana.PublicKey, ins *session.Inspection, err error) *View {
	v := &View{Token: ins.Address.String(), ProgramID: programID.String(), ClusterTime: ins.ClusterTime,
		ClusterTimeUTC: output.UTC(ins.ClusterTime)}
	if a := ins.Account; a != nil {
		lamports, exec, space := a.Lamports, a.Executable, a.Len
		v.Lamports, v.Owner, v.Executable, v.RentEpoch, v.Space = &lamports, a.Owner.String(), &exec, a.RentEpoch, &space
	}
	if ins.Token != nil {
		v.setToken(ins.Token)
	}
	switch {
	case errors.Is(err, session.ErrNotFound):
		v.Status, v.Reason = NotFound, "no account at this address (never created, or revoked)"
	case err != nil && !errors.Is(err, client.ErrExpired):
		// The status already says "not a session token".
		v.Status, v.Reason = NotToken, strings.TrimPrefix(Reason(err), "not a session token: ")
	}
	return v
}

// FromToken is the View of a token from a listing: owned by programID, at its own PDA.
func FromToken(programID solana.PublicKey, tok *session.TokenStatus, clusterTime int64) *View {
	exec, space := false, client.SessionTokenLen
	if tok.Version == pda.V2 {
		space = client.SessionTokenV2Len
	}
	lamports := tok.Lamports
	v := &View{Token: tok.Address.String(), ProgramID: programID.String(), ClusterTime: clusterTime,
		ClusterTimeUTC: output.UTC(clusterTime), Lamports: &lamports, Owner: programID.String(),
		Executable: &exec, Space: &space}
	v.setToken(tok)
	return v
}

// Reason is a validation failure without the package prefix and token address that
// the output already shows.
func Reason(err error) string {
	var ve *client.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	return strings.TrimPrefix(ve.Error(), "client: token "+ve.Token.String()+": ")
}

// setToken fills in the token's fields and the status the session package gave it.
func (v *View) setToken(tok *session.TokenStatus) {
	v.Status = Active
	if tok.Expired {
		v.Status = Expired
	}
	v.Version = int(tok.Version)
	v.Authority = tok.Authority.String()
	v.TargetProgram = tok.TargetProgram.String()
	v.SessionSigner = tok.SessionSigner.String()
	if tok.Version == pda.V2 {
		v.FeePayer = tok.FeePayer.String()
	}
	until, left := tok.ValidUntil, tok.ValidUntil-v.ClusterTime
	v.ValidUntil, v.ValidUntilUTC, v.SecondsUntilExpiry = &until, output.UTC(until), &left
}

// StatusText describes the status in words, with the reason.
func (v *View) StatusText() string {
	switch v.Status {
	case Active:
		return "active (cluster time " + v.ClusterTimeUTC + ")"
	case Expired:
		return "expired by cluster time (valid_until " + output.UTC(*v.ValidUntil) + " <= cluster time " + v.ClusterTimeUTC + ")"
	case NotFound:
		return "not found: " + v.Reason
	}
	return "not a session token: " + v.Reason
}

// WriteText prints the view as `solana account` prints an account (a blank line, then
// aligned fields), followed by the token's fields and its status.
func (v *View) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	f := output.NewFields(w)
	f.Add("Public Key", v.Token)
	if v.Lamports != nil {
		f.Add("Balance", fmt.Sprintf("%s (%d lamports)", output.SOL(*v.Lamports), *v.Lamports))
		f.Add("Owner", v.Owner)
		f.Add("Executable", fmt.Sprint(*v.Executable))
		if v.RentEpoch != nil {
			f.Add("Rent Epoch", fmt.Sprint(*v.RentEpoch))
		}
		f.Add("Length", fmt.Sprintf("%d (0x%x) bytes", *v.Space, *v.Space))
	}
	if v.Found() {
		f.Add("Token", tokenName(v.Version))
		f.Add("Authority", v.Authority)
		f.Add("Target Program", v.TargetProgram)
		f.Add("Session Signer", v.SessionSigner)
		if v.FeePayer != "" {
			f.Add("Fee Payer", v.FeePayer+" (gets the rent back on revoke)")
		} else {
			f.Add("Fee Payer", "not recorded by V1 tokens (the rent goes back to the authority)")
		}
		f.Add("Valid Until", fmt.Sprintf("%s (%s)", v.ValidUntilUTC, output.Relative(*v.ValidUntil, v.ClusterTime)))
	}
	if v.Found() && v.Caps != nil {
		f.Add("SOL Cap Left", fmt.Sprintf("%s (%d lamports) on the session signer", output.SOL(v.Caps.SOLLamports), v.Caps.SOLLamports))
		if len(v.Caps.Tokens) == 0 {
			f.Add("Token Cap Left", "none (the session signer holds no token accounts)")
		}
		for _, t := range v.Caps.Tokens {
			f.Add("Token Cap Left", fmt.Sprintf("%d of mint %s (%s, account %s)", t.Amount, t.Mint, t.Mode, t.Account))
		}
	}
	if v.Found() && v.GrantLeft != nil {
		if len(v.GrantLeft) == 0 {
			f.Add("Grant Left", "no totals in the grant (its bounds are per move)")
		}
		for _, b := range v.GrantLeft {
			f.Add("Grant Left", b.Text()+" ("+b.Bound+", refused by sessionkit before signing)")
		}
	}
	f.Add("Status", v.StatusText())
	return f.Flush()
}

func tokenName(version int) string {
	if version == int(pda.V2) {
		return "V2 (SessionTokenV2, seed \"" + pda.SeedPrefixV2 + "\")"
	}
	return "V1 (SessionToken, seed \"" + pda.SeedPrefixV1 + "\")"
}
