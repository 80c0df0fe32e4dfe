package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
)

// created is create's output.
type created struct {
	Token         string `json:"token"`
	Signature     string `json:"signature"`
	Instruction   string `json:"instruction"`
	Version       int    `json:"version"`
	Authority     string `json:"authority"`
	TargetProgram string `json:"targetProgram"`
	SessionSigner string `json:"sessionSigner"`
	FeePayer      string `json:"feePayer"`
	ValidUntil    int64  `json:"validUntil"`
	ValidUntilUTC string `json:"validUntilUtc"`
	// TopUp is what the session signer received, read from the chain after the create:
	// builds of the program older than January 2025 ignore the amount asked for.
	TopUp          uint64 `json:"topUpLamports"`
	TopUpRequested uint64 `json:"topUpRequestedLamports"`
	Store          string `json:"store,omitempty"`
	// GrantSHA256 is the hash of the session's grant, which the create transaction's
	// memo carries.
	GrantSHA256 string `json:"grantSha256,omitempty"`
	// Tokens are the token caps granted (--token), as set up in the create transaction.
	Tokens      []createdToken `json:"tokens,omitempty"`
	clusterTime int64
}

type createdToken struct {
	Mint    string `json:"mint"`
	Program string `json:"program"`
	Mode    string `json:"mode"`
	Account string `json:"account"`
	Granted uint64 `json:"granted"`
	Arrived uint64 `json:"arrived"`
}

// parseTokenGrant reads --token MINT:AMOUNT[:top-up|delegate], AMOUNT in base units.
func parseTokenGrant(s string) (session.TokenGrant, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return session.TokenGrant{}, usageError("", "--token %q: want MINT:AMOUNT or MINT:AMOUNT:delegate", s)
	}
	mint, err := parsePubkey("--token mint", parts[0])
	if err != nil {
		return session.TokenGrant{}, err
	}
	amount, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil || amount == 0 {
		return session.TokenGrant{}, usageError("", "--token %q: the amount is a positive whole number of the mint's base units", s)
	}
	g := session.TokenGrant{Mint: mint, Amount: amount}
	if len(parts) == 3 {
		switch parts[2] {
		case "top-up":
		case "delegate":
			g.Mode = session.TokenDelegate
		default:
			return session.TokenGrant{}, usageError("", "--token %q: the mode is top-up (default) or delegate", s)
		}
	}
	return g, nil
}

func (a *app) createCmd() *cobra.Command {
	var target, validFor, topUp, payer, grantFile string
	var tokens []string
	var v2 bool
	var store storeFlags
	cmd := &cobra.Command{
		Use:   "create --target T [--valid-for 1h] [--top-up 0.01] [--v2] [--payer K] [--store DIR]",
		Short: "Create a session token signed by the -k keypair as authority",
		Long: `Create a session: generate an ephemeral session signer and send the create
instruction signed by the authority (the -k keypair), which pays rent and top-up:

  (default)        create_session: V1 token; anyone may revoke it, the rent returns
                   to the authority
  --payer K        create_session_with_payer: V1 token paid for by keypair K
  --v2 [--payer K] create_session_v2: V2 token recording its fee payer (K, or the
                   authority), who gets the rent back; only the authority may revoke
                   it while active

The top-up (0.01 SOL by default) moves to the session signer so it can pay for its
transactions; it is the session's SOL cap, which the chain enforces even if the key
leaks. --token MINT:AMOUNT (base units; repeatable) grants a token cap in the same
transaction: the session signer's associated token account is created and AMOUNT
moved into it from the authority's (a token top-up), or with MINT:AMOUNT:delegate the
session signer becomes the delegate of the authority's account for AMOUNT (one
delegate per account: a later session replaces it). Revoke returns what is left. The session signer's key is kept only with --store DIR (an encrypted
token store, created if missing): without it the key is discarded, so a top-up is
refused.`,
		Example: `  sessionkit -u l create --target B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi --store ./sessions
  sessionkit create --target B8V8…RwSi --valid-for 24h --top-up 0.05 --v2 --store ./sessions
  sessionkit create --target B8V8…RwSi --top-up 0 --output json
  sessionkit create --target B8V8…RwSi --token EPjF…Dt1v:50000000 --store ./sessions`,
		Args: noArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if target == "" {
				return usageError("", "create needs --target (the program the session may sign for)")
			}
			p := session.CreateParams{Kind: session.KindV1}
			var err error
			if p.TargetProgram, err = parsePubkey("--target", target); err != nil {
				return err
			}
			if p.ValidFor, err = parseValidity(validFor); err != nil {
				return err
			}
			// The Gum-era deployment allows a day, MagicBlock's seven: refused here, not
			// on chain with ValidityTooLong.
			if limit := client.MaxValidityOf(a.env.programID); p.ValidFor > limit {
				return usageError("", "--valid-for %s is longer than the maximum of the deployment at %s (%s)", validFor, a.env.programID, limit)
			}
			if p.TopUp, err = output.ParseSOL(topUp); err != nil {
				return usageError("", "--top-up %w", err)
			}
			p.Unfunded = p.TopUp == 0 // --top-up 0 asks for it: moves paid by someone else
			if p.TopUp > 0 && store.dir == "" {
				return usageError("pass --store DIR to keep the session key, or --top-up 0",
					"a top-up of %s would be lost: without --store the session key is discarded", output.SOL(p.TopUp))
			}
			for _, t := range tokens {
				g, err := parseTokenGrant(t)
				if err != nil {
					return err
				}
				if g.Mode == session.TokenTopUp && store.dir == "" {
					return usageError("pass --store DIR to keep the session key, or grant the tokens as :delegate",
						"the token top-up %s would be lost: without --store the session key is discarded", t)
				}
				p.Tokens = append(p.Tokens, g)
			}
			if payer != "" {
				p.Kind = session.KindV1WithPayer
				if p.Payer, err = loadKeypair(payer, "payer", "--payer"); err != nil {
					return err
				}
				defer p.Payer.Zero()
			}
			if v2 {
				p.Kind = session.KindV2
			}
			if grantFile != "" {
				if store.dir == "" {
					return usageError("", "--grant needs --store DIR: the grant is kept beside the session key, for its counters and for inspect")
				}
				if p.Grant, err = readGrant(grantFile); err != nil {
					return err
				}
			}
			return a.create(cmd, p, store)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "program the session may sign for (required)")
	f.StringVar(&validFor, "valid-for", "1h", "lifetime from the cluster's clock: a Go duration (90m, 24h) or days (7d, the program's maximum)")
	f.StringVar(&topUp, "top-up", "0.01", "SOL moved to the session signer for its fees; 0 for none")
	f.BoolVar(&v2, "v2", false, "create a V2 token (create_session_v2)")
	f.StringArrayVar(&tokens, "token", nil, "token cap MINT:AMOUNT[:delegate] in base units; repeatable")
	f.StringVar(&payer, "payer", "", "keypair file of a sponsor paying rent and top-up instead of the authority")
	f.StringVar(&grantFile, "grant", "", "permission-grant JSON document bounding the session (its hash goes into a memo of the create transaction; needs --store)")
	store.register(cmd, "token store directory keeping the session key, encrypted (created if missing)")
	return cmd
}

// parseValidity reads a Go duration or a whole number of days.
func parseValidity(s string) (time.Duration, error) {
	const day = 24 * time.Hour
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		// Clamped before multiplying: a huge count would wrap around to a short validity
		// (202163959358895d is 65µs).
		d = time.Duration(min(max(n, 0), int(client.MaxValidity/day)+1)) * day
	}
	if err != nil || d <= 0 {
		return 0, usageError("", "--valid-for %q: want a positive duration such as 90m, 24h or 7d", s)
	}
	if d > client.MaxValidity {
		return 0, usageError("", "--valid-for %s is longer than the program's maximum of 7 days", s)
	}
	return d, nil
}

func (a *app) create(cmd *cobra.Command, p session.CreateParams, store storeFlags) error {
	ctx := cmd.Context()
	key, err := a.keypair("authority")
	if err != nil {
		return err
	}
	defer key.Zero()
	// Manager.Create takes the authority as a solana-go key.
	authority := key.PrivateKey()
	defer clear(authority)
	c := a.rpcClient()
	m, snd, err := a.manager(c, true)
	if err != nil {
		return err
	}
	defer snd.Close()

	// Open the store before anything is sent, so that a session is never created whose
	// key there is nowhere to keep.
	var persist session.Persister
	if store.dir != "" {
		st, err := a.openStore(ctx, store, true)
		if err != nil {
			return err
		}
		defer st.Close()
		persist = session.StorePersister(st, a.env.programID)
	}

	task := a.progress().Start("Creating the session (" + p.Kind.String() + ")")
	s, err := m.Create(ctx, authority, p)
	task.Done()
	if errors.Is(err, txn.ErrInstructionFallbackNotFound) {
		return failure(fmt.Sprintf("the deployed session program has no %s instruction (an older build): create without --v2/--payer there", p.Kind), err)
	}
	if err != nil {
		return err
	}
	out := created{Token: s.Token().String(), Signature: s.CreateSignature().String(), Instruction: p.Kind.String(), Version: int(s.Version()),
		Authority: s.Authority().String(), TargetProgram: s.TargetProgram().String(), SessionSigner: s.SessionSigner().String(),
		FeePayer: s.FeePayer().String(), ValidUntil: s.ValidUntil(), ValidUntilUTC: output.UTC(s.ValidUntil()),
		TopUpRequested: p.TopUp}
	for _, g := range s.TokenGrants() {
		out.Tokens = append(out.Tokens, createdToken{Mint: g.Mint.String(), Program: g.Program.String(), Mode: g.Mode.String(),
			Account: g.Account.String(), Granted: g.Granted, Arrived: g.Arrived})
	}
	// The signer is a fresh key: its balance is what the create moved to it.
	if out.TopUp, err = s.Balance(ctx); err != nil {
		return fmt.Errorf("session %s was created but its signer's balance could not be read: %w", s.Token(), err)
	}
	if out.TopUp != p.TopUp {
		fmt.Fprintf(a.io.Err, "Warning: asked for a top-up of %s (%d lamports), the session signer received %s (%d lamports): the deployed program ignores the amount (builds before January 2025 top up %d lamports whenever a top-up is asked for)\n",
			output.SOL(p.TopUp), p.TopUp, output.SOL(out.TopUp), out.TopUp, client.DefaultTopUpLamports)
	}
	if g := s.Grant(); g != nil {
		out.GrantSHA256 = hex.EncodeToString(g.Hash[:])
	}
	if persist != nil {
		if err := persist.Save(ctx, s.Snapshot()); err != nil {
			return fmt.Errorf("session %s was created but its key could not be stored: %w", s.Token(), err)
		}
		out.Store = store.name()
	}
	if out.clusterTime, err = m.ClusterTime(ctx); err != nil {
		return err
	}
	if a.env.format.IsJSON() {
		return output.WriteJSON(a.io.Out, a.env.format, out)
	}
	return writeCreated(a.io, out)
}

func writeCreated(io IO, c created) error {
	fmt.Fprintf(io.Out, "Session created (%s, V%d token)\n\n", c.Instruction, c.Version)
	f := output.NewFields(io.Out)
	f.Add("Token", c.Token)
	f.Add("Signature", c.Signature)
	f.Add("Authority", c.Authority)
	f.Add("Target Program", c.TargetProgram)
	f.Add("Session Signer", c.SessionSigner)
	f.Add("Fee Payer", c.FeePayer)
	f.Add("Valid Until", fmt.Sprintf("%s (%s)", c.ValidUntilUTC, output.Relative(c.ValidUntil, c.clusterTime)))
	if c.TopUp > 0 {
		f.Add("Top-Up", fmt.Sprintf("%s (%d lamports) to the session signer", output.SOL(c.TopUp), c.TopUp))
	} else {
		f.Add("Top-Up", "none")
	}
	if c.GrantSHA256 != "" {
		f.Add("Grant", "sha256 "+c.GrantSHA256+", in a memo the authority signed")
	}
	for _, t := range c.Tokens {
		if t.Mode == session.TokenDelegate.String() {
			f.Add("Token Cap", fmt.Sprintf("%d of mint %s: delegate allowance on %s", t.Granted, t.Mint, t.Account))
		} else {
			f.Add("Token Cap", fmt.Sprintf("%d of mint %s in %s (%d sent)", t.Arrived, t.Mint, t.Account, t.Granted))
		}
	}
	if c.Store != "" {
		f.Add("Session Key", "stored, encrypted, in "+c.Store)
	} else {
		f.Add("Session Key", "discarded (no --store)")
	}
	return f.Flush()
}
