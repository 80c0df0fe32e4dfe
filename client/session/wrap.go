package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
)

// WrapOption adjusts how [Session.Wrap] and [Session.Send] build a transaction.
type WrapOption func(*wrapConfig)

type wrapConfig struct {
	// payer is the fee payer; nil means the session signer.
	payer *solana.PublicKey
	keys  []*txn.SessionKey
	// authority, when set, is who the caller acts for.
	authority *solana.PublicKey
	// external is a signer whose signature comes later (a wallet); its slot stays zero.
	external *solana.PublicKey
}

// WithPayer makes key the fee payer instead of the session signer; key signs too. Make
// the key once with txn.SessionKeyFromPrivateKey: it is validated when made, not per
// signature.
func WithPayer(key *txn.SessionKey) WrapOption {
	return func(c *wrapConfig) {
		pub := key.PublicKey()
		c.payer = &pub
		c.keys = append(c.keys, key)
	}
}

// WithSigners adds keys for further signers the instructions require (a new account, say).
func WithSigners(keys ...*txn.SessionKey) WrapOption {
	return func(c *wrapConfig) { c.keys = append(c.keys, keys...) }
}

// ForAuthority states whose accounts the instructions act on; the session refuses with
// ErrWrongAuthority unless it belongs to that authority.
func ForAuthority(authority solana.PublicKey) WrapOption {
	return func(c *wrapConfig) { c.authority = &authority }
}

// Wrap checks ixs and builds a transaction signed by the session signer (and the keys of
// WithPayer/WithSigners) on blockhash. Each instruction for the target program must carry
// the session signer as a signer and the session token account; an instruction for any
// other program must not require the session signer's signature. Wrap refuses when the
// session is revoked or expired by cluster time. ixs are not modified, so a caller may
// reuse them for another blockhash.
//
// The cluster runs identical transactions once: wrapping the same instructions twice on
// the same blockhash yields the same transaction. Send takes care of that; callers of
// Wrap who send themselves must vary their instructions.
func (s *Session) Wrap(ctx context.Context, blockhash solana.Hash, ixs []solana.Instruction, opts ...WrapOption) (*solana.Transaction, error) {
	cfg, err := s.configure(ixs, opts)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
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

// configure applies opts and checks ixs against them, as Wrap and Send both do before
// anything reaches the network.
func (s *Session) configure(ixs []solana.Instruction, opts []WrapOption) (wrapConfig, error) {
	var cfg wrapConfig
	if len(opts) > 0 {
		cfg = applyWrapOptions(opts)
	}
	return cfg, s.checkInstructions(ixs, &cfg)
}

// applyWrapOptions is apart from configure because the options' pointer moves the
// config to the heap, which a move without options need not pay for.
func applyWrapOptions(opts []WrapOption) wrapConfig {
	var cfg wrapConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// checkInstructions applies the target program's view of a session transaction.
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
		case program != s.target && signs:
			return &RefusedError{Index: i, Program: program, Err: ErrWrongTarget}
		case program != s.target:
		case !signs:
			return &RefusedError{Index: i, Program: program, Err: ErrMissingSigner}
		case !hasToken:
			return &RefusedError{Index: i, Program: program, Err: ErrMissingToken}
		}
	}
	return nil
}

// build compiles and signs without checks, returning the transaction in wire form;
// internal callers (create, revoke and sweep) use it for instructions of the session and
// system programs. The compiler never writes into the instructions, so they may be shared
// between transactions.
func (s *Session) build(blockhash solana.Hash, ixs []solana.Instruction, cfg *wrapConfig) ([]byte, error) {
	payer := s.signer
	if cfg.payer != nil {
		payer = *cfg.payer
	}
	msg, err := txn.CompileLegacy(payer, blockhash, ixs...)
	if err != nil {
		return nil, fmt.Errorf("session: building transaction: %w", err)
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
			sigs[i] = s.key.Sign(msg.Bytes())
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
