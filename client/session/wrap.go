package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

// MoveParams are the choices of one Send or Wrap beyond its instructions; the zero value
// is a move paid and signed by the session signer alone.
type MoveParams struct {
	// Payer, when set, pays the fee instead of the session signer, and signs. Make the
	// key once with txn.SessionKeyFromPrivateKey: it is validated when made, not per
	// signature.
	Payer *txn.SessionKey
	// Signers sign for further accounts the instructions require (a new account, say).
	Signers []*txn.SessionKey
	// Authority, when set, is whose accounts the instructions act on: the session
	// refuses with ErrWrongAuthority unless it belongs to that authority.
	Authority solana.PublicKey
	// LookupTables, when set, make the move a v0 transaction loading accounts from
	// these tables (as read from the chain: Manager.LookupTable, or what
	// CreateLookupTable returned). The guard judges every looked-up account as it does
	// a static one; signers and program ids stay static.
	LookupTables []txn.LookupTable
}

type wrapConfig struct {
	// payer is the fee payer; nil means the session signer.
	payer *solana.PublicKey
	keys  []*txn.SessionKey
	// authority, when set, is who the caller acts for.
	authority *solana.PublicKey
	// external is a signer whose signature comes later (a wallet); its slot stays zero.
	external *solana.PublicKey
	// guard, when set, judges the compiled message before the session key signs it. The
	// caller's moves always have one; sessionkit's own transactions (create, revoke,
	// sweep) do not, since they move the signer's lamports on purpose.
	guard *guard.Policy
	// ctx and admitted: a move of a session with a grant is counted against its bounds
	// once (admitted), however many times the sender has it re-signed.
	ctx      context.Context
	admitted bool
	spend    guard.Spend
	// tables, when not nil, make the transaction v0 with these lookup tables.
	tables []txn.LookupTable
	// price, when set, is the compute-unit price a move adds (see fees.go).
	price uint64
	// unitLimit, when set, is the move's compute-unit limit from simulation (see
	// computelimit.go).
	unitLimit uint32
}

// Wrap checks ixs and builds a transaction signed by the session signer (and the keys of
// p) on blockhash. Each instruction for the target program must carry the session signer
// as a signer and the session token account. What the session key signs is then judged
// from the compiled message (package guard): the signer may appear only as fee payer, in
// the target program's instructions, in Compute Budget instructions within the
// Manager's caps, and in programs allowed with AllowPrograms; anything else is refused
// with a *guard.RefusedError before signing. Wrap refuses when the session is revoked or
// expired by cluster time. ixs are not modified, so a caller may reuse them for another
// blockhash.
//
// The cluster runs identical transactions once: wrapping the same instructions twice on
// the same blockhash yields the same transaction. Send takes care of that; callers of
// Wrap who send themselves must vary their instructions.
func (s *Session) Wrap(ctx context.Context, blockhash solana.Hash, ixs []solana.Instruction, p MoveParams) (*solana.Transaction, error) {
	cfg, err := s.configure(ixs, &p)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	cfg.ctx = ctx
	wire, err := s.build(blockhash, ixs, &cfg)
	if err != nil {
		return nil, err
	}
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		return nil, fmt.Errorf("session: decoding transaction: %w", err)
	}
	return tx, nil
}

// configure turns p into a guarded configuration and checks ixs against it, as Wrap and
// Send both do before anything reaches the network.
func (s *Session) configure(ixs []solana.Instruction, p *MoveParams) (wrapConfig, error) {
	cfg := wrapConfig{guard: s.policy()}
	if p.Payer != nil {
		pub := p.Payer.PublicKey()
		cfg.payer = &pub
		cfg.keys = append(cfg.keys, p.Payer)
	}
	if len(p.Signers) > 0 {
		cfg.keys = append(cfg.keys, p.Signers...)
	}
	if !p.Authority.IsZero() {
		cfg.authority = &p.Authority
	}
	cfg.tables = p.LookupTables
	return cfg, s.checkInstructions(ixs, &cfg)
}

// checkInstructions applies the target program's view of a session transaction: its
// instructions need the session signer's signature and the token. What the signer may
// sign at all is the guard's to decide, from the compiled message.
func (s *Session) checkInstructions(ixs []solana.Instruction, cfg *wrapConfig) error {
	if cfg.authority != nil && *cfg.authority != s.authority {
		return fmt.Errorf("%w: session %s is for %s, not %s", ErrWrongAuthority, s.token, s.authority, *cfg.authority)
	}
	for i, ix := range ixs {
		program := ix.ProgramID()
		var signs, hasToken bool
		for _, m := range ix.Accounts() {
			switch m.PublicKey {
			case s.signer:
				signs = signs || m.IsSigner
			case s.token:
				hasToken = true
			}
		}
		switch {
		case program != s.target:
		case !signs:
			return &guard.RefusedError{Index: i, Program: program, Err: ErrMissingSigner}
		case !hasToken:
			return &guard.RefusedError{Index: i, Program: program, Err: ErrMissingToken}
		}
	}
	return nil
}

// build compiles, lets cfg's guard judge the message (when it has one) and signs,
// returning the transaction in wire form; internal callers (create, revoke and sweep)
// build without a guard for instructions of the session and system programs. The compiler never writes into the instructions, so they may be shared
// between transactions.
func (s *Session) build(blockhash solana.Hash, ixs []solana.Instruction, cfg *wrapConfig) ([]byte, error) {
	payer := s.signer
	if cfg.payer != nil {
		payer = *cfg.payer
	}
	msg, err := compile(payer, blockhash, ixs, cfg.tables)
	if err != nil {
		return nil, fmt.Errorf("session: building transaction: %w", err)
	}
	if cfg.guard != nil {
		if err := cfg.guard.MeasureWithTables(msg.Bytes(), cfg.tables, &cfg.spend); err != nil {
			return nil, err
		}
		if s.bounds != nil && !cfg.admitted {
			if err := s.admit(cfg.ctx, msg.Bytes(), &cfg.spend); err != nil {
				return nil, err
			}
			cfg.admitted = true
		}
	}
	if cfg.payer == nil && len(cfg.keys) == 0 && cfg.external == nil {
		// A move: the session key is the only key at hand, and Sign checks that it is the
		// only signer required. If another one is, the general path below names it.
		wire, err := msg.Sign(s.key)
		if err == nil {
			return wire, nil
		}
		if !errors.Is(err, txn.ErrSigner) {
			return nil, fmt.Errorf("session: signing transaction: %w", err)
		}
	}
	signers := msg.Signers()
	sigs := make([]solana.Signature, len(signers))
	for i, signer := range signers {
		switch {
		case signer == s.signer:
			if s.key != nil { // without it (external.go) the signer's slot stays zero
				sigs[i] = s.key.Sign(msg.Bytes())
			}
		case cfg.external != nil && *cfg.external == signer:
		default:
			key := cfg.keyFor(signer)
			if key == nil {
				return nil, fmt.Errorf("%w: %s", ErrMissingKey, signer)
			}
			sigs[i] = key.Sign(msg.Bytes())
		}
	}
	wire, err := msg.Assemble(sigs)
	if err != nil {
		return nil, fmt.Errorf("session: assembling transaction: %w", err)
	}
	return wire, nil
}

func (c *wrapConfig) keyFor(pub solana.PublicKey) *txn.SessionKey {
	for _, k := range c.keys {
		if k != nil && k.PublicKey() == pub {
			return k
		}
	}
	return nil
}

// sessionKeys converts the solana-go keys of parameters once, skipping nil ones.
func sessionKeys(keys ...solana.PrivateKey) ([]*txn.SessionKey, error) {
	var out []*txn.SessionKey
	for _, k := range keys {
		if k == nil {
			continue
		}
		sk, err := txn.SessionKeyFromPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
		}
		out = append(out, sk)
	}
	return out, nil
}
