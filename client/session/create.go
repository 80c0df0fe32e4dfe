package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// Kind is the create instruction, and with it the token version and who pays.
type Kind uint8

const (
	// KindV1 is create_session: a V1 token; the authority signs and pays rent, top-up and
	// fee.
	KindV1 Kind = iota + 1
	// KindV1WithPayer is create_session_with_payer: a V1 token paid for by
	// CreateParams.Payer; the rent still returns to the authority on revoke.
	KindV1WithPayer
	// KindV2 is create_session_v2: a V2 token that records its payer (CreateParams.Payer,
	// or the authority) and returns the rent to it on revoke.
	KindV2
)

// Version is the token generation the kind creates.
func (k Kind) Version() pda.Version {
	if k == KindV2 {
		return pda.V2
	}
	return pda.V1
}

func (k Kind) String() string {
	switch k {
	case KindV1:
		return "create_session"
	case KindV1WithPayer:
		return "create_session_with_payer"
	case KindV2:
		return "create_session_v2"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// CreateParams describes a session to create. Kind and Target are required.
type CreateParams struct {
	Kind          Kind
	TargetProgram solana.PublicKey
	// Payer pays the rent, the top-up and the transaction fee: required for
	// KindV1WithPayer, optional for KindV2 (default: the authority), not allowed for KindV1.
	Payer *txn.SessionKey
	// ValidFor counts from the cluster's current unix time; ValidUntil, when set, wins.
	// The program refuses more than its deployment's maximum (client.MaxValidityOf: a
	// day for the Gum-era one, seven for MagicBlock's; WithMaxValidity for another); so
	// does Create, before sending (client.ErrValidityTooLong). Leave a few seconds of
	// margin below the maximum: the cluster clock moves on between the reading and the
	// execution.
	ValidFor   time.Duration
	ValidUntil time.Time
	// TopUp is how many lamports the payer moves to the ephemeral signer so it can pay
	// for its moves (client.DefaultTopUpLamports, 0.01 SOL, is what the program moves
	// by default and what the CLI asks for). It is the session's SOL cap, enforced by
	// the chain: a leaked key can spend what its own account holds, nothing of anyone
	// else's. Zero is refused unless Unfunded: a signer with no lamports cannot pay for
	// a single move.
	TopUp uint64
	// Unfunded creates the session without a top-up on purpose: its moves are paid by
	// another fee payer (MoveParams.Payer, a relay).
	Unfunded bool
	// Seed, when set, is the ephemeral key's seed (a key derived from a wallet
	// signature, say) instead of a fresh random one.
	Seed *Seed
	// Grant, when set, is the permission grant the player sees and signs (package
	// client/grant): its bounds bind every move of the session. Create fills in its
	// signer (the generated key) and its expiry (the token's valid_until) when they are
	// missing and refuses a grant whose target, signer or expiry disagree with the
	// session; it puts a Memo with the hash of the completed grant into the create
	// transaction, signed by the authority. The session's Snapshot carries the grant,
	// for the store (see Session.Grant and Manager.CheckGrant).
	Grant *grant.Grant
	// Tokens are the session's SPL token caps, set up in the same transaction from the
	// authority's associated token accounts (see TokenMode): the wallet's one signature
	// covers them. The payer pays the rent of the session's token accounts; revoke
	// returns it.
	Tokens []TokenGrant
	// Nonce, for PrepareCreate, signs the transaction on a durable nonce (from a
	// NoncePool) instead of a blockhash, so that the wallet may sign it much later.
	Nonce *Nonce

	// external is the session signer when its key is elsewhere (PrepareCreateExternal).
	external solana.PublicKey
}

// Create makes a session with the authority's key on hand: it generates the ephemeral
// key, sends the create instruction of p.Kind signed by the authority, the payer and the
// ephemeral key, and returns the Session once the transaction is confirmed. A token that
// already exists (possible only with p.Signer) fails with txn.ErrAccountInUse.
func (m *Manager) Create(ctx context.Context, authority solana.PrivateKey, p CreateParams) (*Session, error) {
	if authority == nil {
		return nil, fmt.Errorf("%w: no authority key; use PrepareCreate when the wallet holds it", ErrBadParams)
	}
	if p.Nonce != nil {
		return nil, fmt.Errorf("%w: CreateParams.Nonce is for PrepareCreate; Create signs at once", ErrBadParams)
	}
	keys, err := sessionKeys(authority)
	if err != nil {
		return nil, err
	}
	payer, err := paramKeys(p.Payer)
	if err != nil {
		return nil, err
	}
	keys = append(keys, payer...)
	plan, err := m.planCreate(ctx, keys[0].PublicKey(), p)
	if err != nil {
		return nil, err
	}
	cfg := &wrapConfig{payer: &plan.payer, keys: keys}
	if err := plan.checkSize(cfg); err != nil {
		return nil, err
	}
	sig, fees, err := m.send(ctx, plan.session, func(blockhash solana.Hash) ([]byte, error) {
		return plan.session.build(blockhash, plan.instructions(), cfg)
	})
	if err != nil {
		return nil, plan.explain(err)
	}
	plan.session.createSig, plan.session.createFees = sig, fees
	return plan.session, nil
}

// PrepareCreate builds the create transaction for an authority whose key is elsewhere
// (a browser or phone wallet): the ephemeral key, and p.Payer if set, have signed; the
// wallet's signature is missing. The wallet pays unless p.Payer is set. Hand the
// Pending's bytes to the wallet and pass the result to SubmitSigned.
func (m *Manager) PrepareCreate(ctx context.Context, authority solana.PublicKey, p CreateParams) (*Pending, error) {
	return m.prepareCreate(ctx, authority, p, nil)
}

// prepareCreate is PrepareCreate with before, the wallet's own instructions, ahead of the
// create's (after a nonce's advance, which must come first).
func (m *Manager) prepareCreate(ctx context.Context, authority solana.PublicKey, p CreateParams, before []solana.Instruction) (*Pending, error) {
	keys, err := paramKeys(p.Payer)
	if err != nil {
		return nil, err
	}
	plan, err := m.planCreate(ctx, authority, p)
	if err != nil {
		return nil, err
	}
	cfg := &wrapConfig{payer: &plan.payer, keys: keys, external: &authority}
	ixs := append(append([]solana.Instruction(nil), before...), plan.instructions()...)
	ixs, bh, err := m.recent(ctx, p.Nonce, cfg, ixs)
	if err != nil {
		return nil, err
	}
	wire, err := plan.session.build(bh.Hash, ixs, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkSize(wire, "the create transaction"); err != nil {
		return nil, err
	}
	pending, err := newPending(wire, authority, bh.LastValidBlockHeight, plan.session, plan.settle)
	if err != nil {
		return nil, err
	}
	pending.nonce = p.Nonce
	plan.session.state.Store(statePending)
	return pending, nil
}

// createPlan is a create instruction ready to be signed for any blockhash.
type createPlan struct {
	session *Session
	payer   solana.PublicKey // pays rent, top-up and the fee
	ix      solana.Instruction
	// memo carries the hash of the session's grant, when it has one.
	memo solana.Instruction
	// tokenIxs set up the token caps after the create instruction.
	tokenIxs []solana.Instruction
}

// instructions is the create transaction's instructions in order: the create, the
// token caps, then the grant's memo.
func (c *createPlan) instructions() []solana.Instruction {
	ixs := append([]solana.Instruction{c.ix}, c.tokenIxs...)
	if c.memo != nil {
		ixs = append(ixs, c.memo)
	}
	return ixs
}

// checkSize refuses a create that would not fit one transaction, before it is sent.
func (c *createPlan) checkSize(cfg *wrapConfig) error {
	wire, err := c.session.build(solana.Hash{}, c.instructions(), cfg)
	if err != nil {
		return err
	}
	return checkSize(wire, "the create transaction")
}

func (m *Manager) planCreate(ctx context.Context, authority solana.PublicKey, p CreateParams) (*createPlan, error) {
	switch {
	case p.Kind < KindV1 || p.Kind > KindV2:
		return nil, fmt.Errorf("%w: Kind must be KindV1, KindV1WithPayer or KindV2", ErrBadParams)
	case p.TargetProgram.IsZero():
		return nil, fmt.Errorf("%w: Target is required", ErrBadParams)
	case p.Kind == KindV1 && p.Payer != nil:
		return nil, fmt.Errorf("%w: create_session has no separate payer; use KindV1WithPayer or KindV2", ErrBadParams)
	case p.Kind == KindV1WithPayer && p.Payer == nil:
		return nil, fmt.Errorf("%w: create_session_with_payer needs a Payer", ErrBadParams)
	case p.ValidFor < 0:
		return nil, fmt.Errorf("%w: negative ValidFor", ErrBadParams)
	case p.TopUp == 0 && !p.Unfunded:
		return nil, fmt.Errorf("%w: no TopUp: the session signer could not pay for a single move; give a TopUp (client.DefaultTopUpLamports is 0.01 SOL), or set Unfunded when another fee payer pays its moves", ErrBadParams)
	case p.TopUp > 0 && p.Unfunded:
		return nil, fmt.Errorf("%w: TopUp with Unfunded", ErrBadParams)
	}
	now, err := m.clock.now(ctx)
	if err != nil {
		return nil, err
	}
	validUntil := now + int64(cmp.Or(p.ValidFor, client.DefaultValidity)/time.Second)
	if !p.ValidUntil.IsZero() {
		validUntil = p.ValidUntil.Unix()
	}

	var key *txn.SessionKey
	signer := p.external
	switch {
	case !signer.IsZero(): // external.go: the key stays where it was made
	case p.Seed != nil:
		key, err = txn.NewSessionKey(p.Seed[:])
	default:
		key, err = txn.GenerateSessionKey(nil)
	}
	if err != nil {
		return nil, err
	}
	if key != nil {
		signer = key.PublicKey()
	}
	token, _, err := m.pdas.Find(p.Kind.Version(), m.programID, p.TargetProgram, signer, authority)
	if err != nil {
		return nil, fmt.Errorf("session: deriving token address: %w", err)
	}
	plan := &createPlan{payer: authority}
	if p.Payer != nil {
		plan.payer = p.Payer.PublicKey()
	}
	args := client.CreateArgs{ClusterTime: now, ValidUntil: &validUntil, ProgramID: m.programID, MaxValidity: m.maxValidity}
	if p.TopUp > 0 {
		args.TopUp, args.Lamports = new(true), &p.TopUp
	}
	switch p.Kind {
	case KindV1:
		plan.ix, err = client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer, Authority: authority, TargetProgram: p.TargetProgram, SessionToken: token,
		}, args)
	case KindV1WithPayer:
		plan.ix, err = client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
			SessionSigner: signer, Payer: plan.payer, Authority: authority, TargetProgram: p.TargetProgram, SessionToken: token,
		}, args)
	case KindV2:
		plan.ix, err = client.NewCreateSessionV2(client.CreateSessionV2Accounts{
			SessionSigner: signer, FeePayer: plan.payer, Authority: authority, TargetProgram: p.TargetProgram, SessionToken: token,
		}, args)
	}
	if err != nil {
		return nil, err
	}
	if p.Seed != nil {
		// A chosen key can collide with a live token; a random one cannot.
		if _, err := m.Get(ctx, token); err == nil {
			return nil, fmt.Errorf("session: %w: %s (target %s, signer %s, authority %s)", txn.ErrAccountInUse, token, p.TargetProgram, signer, authority)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	tokenIxs, caps, err := m.planTokens(ctx, authority, plan.payer, signer, p.Tokens)
	if err != nil {
		return nil, err
	}
	plan.tokenIxs = tokenIxs
	plan.session = &Session{
		salt:  newSalt(),
		token: token, signer: signer, authority: authority, target: p.TargetProgram, feePayer: plan.payer,
		version: p.Kind.Version(), validUntil: validUntil, key: key, mgr: m, tokens: caps, external: key == nil,
	}
	if p.Grant != nil {
		if plan.session.bounds, err = m.grantBounds(*p.Grant, token, signer, p.TargetProgram, validUntil); err != nil {
			return nil, err
		}
		plan.memo = grant.Memo(authority, plan.session.bounds.hash)
	}
	return plan, nil
}

// explain names the token when the program found it already in use.
func (c *createPlan) explain(err error) error {
	if errors.Is(err, txn.ErrAccountInUse) {
		s := c.session
		return fmt.Errorf("session: token %s (target %s, signer %s, authority %s): %w", s.token, s.target, s.signer, s.authority, err)
	}
	return err
}

// settle ends a wallet-signed create: the session goes live once the transaction landed.
func (c *createPlan) settle(_ context.Context, err error) error {
	if err != nil {
		return c.explain(err)
	}
	c.session.state.CompareAndSwap(statePending, stateActive)
	return nil
}

// grantBounds completes g for the session being created (its signer, its expiry) and
// makes the session's bounds from it.
func (m *Manager) grantBounds(g grant.Grant, token, signer, target solana.PublicKey, validUntil int64) (*bounds, error) {
	switch {
	case g.TargetProgram != target:
		return nil, fmt.Errorf("%w: the grant is for program %s, the session for %s", ErrBadParams, g.TargetProgram, target)
	case !g.Signer.IsZero() && g.Signer != signer:
		return nil, fmt.Errorf("%w: the grant names signer %s, the session's key is %s", ErrBadParams, g.Signer, signer)
	case g.Expiry != 0 && g.Expiry != validUntil:
		return nil, fmt.Errorf("%w: the grant's expiry %d is not the token's valid_until %d; leave it out, or set CreateParams.ValidUntil to it", ErrBadParams, g.Expiry, validUntil)
	}
	g.Signer, g.Expiry = signer, validUntil
	canonical, err := g.Canonical()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
	}
	b, err := newBounds(canonical, token, signer, target, m.reserver, m.idls[target])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
	}
	return b, nil
}
