package session

import (
	"context"
	"crypto/sha512"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// PrepareParams are the choices of PrepareCreateWith beyond the session's CreateParams.
type PrepareParams struct {
	// Signer, when set, is the session signer whose key the backend does not hold (a
	// browser's non-extractable WebCrypto key): the create transaction then awaits its
	// signature as well as the wallet's, and the Session cannot sign; its moves are
	// prepared with PrepareMove, signed elsewhere and judged with AdmitMove. Such a
	// Session has no key to store: a Pool refuses it and its Snapshot carries no seed.
	Signer solana.PublicKey
	// Before are instructions of the wallet's own that go first into the create
	// transaction (the game's init_player, say), so that one signature covers them.
	Before []solana.Instruction
}

// PrepareCreateWith is PrepareCreate with the choices of x: a session signer made
// elsewhere, instructions before the create. SubmitSigned verifies every signature the
// backend did not make against the prepared message.
func (m *Manager) PrepareCreateWith(ctx context.Context, authority solana.PublicKey, p CreateParams, x PrepareParams) (*Pending, error) {
	if !x.Signer.IsZero() {
		if p.Seed != nil {
			return nil, fmt.Errorf("%w: a Seed with an external Signer", ErrBadParams)
		}
		if x.Signer == authority {
			return nil, fmt.Errorf("%w: the session signer is the authority", ErrBadParams)
		}
		p.external = x.Signer
	}
	return m.prepareCreate(ctx, authority, p, x.Before)
}

// External reports whether the session's key is held elsewhere (PrepareParams.Signer).
func (s *Session) External() bool { return s.external }

// PrepareMove builds the message of a move for a session whose key is elsewhere, with
// feePayer (a relay) paying the fee: the holder of the key signs exactly these bytes,
// and AdmitMove judges them before anyone co-signs. The guard judges there, where the
// decision is made: a message the session key signed pays nothing until the fee payer
// signs too. ixs are checked as Wrap checks them (signer and token present), and the
// message is one this Session has not prepared before (a compute-unit limit varies
// it), since the cluster runs identical transactions once.
func (s *Session) PrepareMove(ctx context.Context, blockhash solana.Hash, ixs []solana.Instruction, feePayer solana.PublicKey) ([]byte, error) {
	if feePayer.IsZero() || feePayer == s.signer {
		return nil, fmt.Errorf("%w: a prepared move needs a fee payer other than the session signer", ErrBadParams)
	}
	if _, err := s.configure(ixs, &MoveParams{}); err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	s.limitOnce.Do(func() { s.limit0 = newUnitLimit(s.salt, 0) })
	for n := 0; ; n++ {
		variant, err := distinct(nil, ixs, s.salt, n, s.limit0)
		if err != nil {
			return nil, err
		}
		msg, err := txn.CompileLegacy(feePayer, blockhash, variant...)
		if err != nil {
			return nil, fmt.Errorf("session: building transaction: %w", err)
		}
		if s.recent.claim(sha512.Sum512(msg.Bytes()), time.Now()) {
			return msg.Bytes(), nil
		}
	}
}

// AdmitMove judges msg, a legacy message the session signer signed elsewhere, as Send
// judges its own: the session must be usable (not revoked, not expired by cluster time),
// the guard must accept the compiled message, and a session with a grant counts the
// move against its bounds (a *BoundError names the bound it would cross). Only then may
// a relay co-sign it.
func (s *Session) AdmitMove(ctx context.Context, msg []byte) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	var spend guard.Spend
	if err := s.policy().Measure(msg, &spend); err != nil {
		return err
	}
	if s.bounds != nil {
		return s.admit(ctx, msg, &spend)
	}
	return nil
}

// SendSigned sends a move signed elsewhere (and admitted with AdmitMove) through the
// Manager's sender and waits for it to land; a Revoke started meanwhile waits for it.
func (s *Session) SendSigned(ctx context.Context, tx *solana.Transaction, lastValidBlockHeight uint64) (*sender.Result, error) {
	if s.mgr == nil || s.mgr.snd == nil {
		return nil, fmt.Errorf("%w: session %s has no Manager with a sender to send with", ErrBadParams, s.token)
	}
	s.inflight.RLock()
	res, err := s.mgr.snd.SendSigned(ctx, tx, lastValidBlockHeight)
	if err == nil {
		s.noteSlot(res.Slot)
	}
	s.inflight.RUnlock()
	if err != nil {
		s.noticeGone(ctx, err)
		return res, err
	}
	return res, nil
}
