package session

import (
	"context"

	"github.com/gagliardetto/solana-go"
)

// SubmitSigned sends the wallet-signed form of p and waits for it to land. It refuses
// (ErrTampered) unless the message is byte-for-byte the prepared one, the signatures made
// when preparing are intact and the wallet's signature verifies, so a wallet or a man in
// the middle cannot swap an instruction, the payer or an amount. After a create,
// p.Session() is live; after a revoke, it is revoked.
func (m *Manager) SubmitSigned(ctx context.Context, p *Pending, signed []byte) (solana.Signature, error) {
	tx, err := p.verify(signed)
	if err != nil {
		return solana.Signature{}, err
	}
	sig, err := m.sendSigned(ctx, tx, p.lastValidBlockHeight)
	switch {
	case err == nil && p.kind == pendingCreate:
		p.session.state.CompareAndSwap(statePending, stateActive)
	case err == nil && p.kind == pendingRevoke:
		p.session.state.Store(stateRevoked)
		p.revoke.result.Signature = sig
	case err != nil && p.kind == pendingRevoke:
		return solana.Signature{}, p.revoke.fail(ctx, err)
	case err != nil:
		return solana.Signature{}, p.explain(err)
	}
	return sig, nil
}
