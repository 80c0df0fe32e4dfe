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
	sig, err := m.sendPending(ctx, p, tx)
	if err := p.settle(ctx, err); err != nil {
		return solana.Signature{}, err
	}
	return sig, nil
}
