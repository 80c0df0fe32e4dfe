package session

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"math"

	"github.com/gagliardetto/solana-go"
)

// Pending is a transaction that waits for an external wallet's signature: the message is
// final and every signature the server holds keys for is already in place. Hand
// [Pending.Bytes] or [Pending.Base64] to the wallet and pass what it returns to
// [Manager.SubmitSigned], which accepts it only if the message is byte-for-byte the one
// prepared here.
//
// The message carries a recent blockhash, so the wallet must sign before
// LastValidBlockHeight (about a minute on public clusters); after that prepare again.
// Prepared with a Nonce (CreateParams.Nonce, RevokeParams.Nonce) it carries the nonce
// instead and stays valid until the nonce advances: LastValidBlockHeight is zero.
type Pending struct {
	tx                   *solana.Transaction
	message              []byte
	wire                 []byte
	wallet               solana.PublicKey
	lastValidBlockHeight uint64
	session              *Session
	// settle applies SubmitSigned's outcome to the session (now live, or revoked) and
	// returns the error to report, if any.
	settle func(ctx context.Context, err error) error
	// nonce, when set, is the durable nonce the transaction is signed on.
	nonce *Nonce
}

// Wallet is the signer whose signature is awaited.
func (p *Pending) Wallet() solana.PublicKey { return p.wallet }

// Session is the session the transaction creates or revokes.
func (p *Pending) Session() *Session { return p.session }

// LastValidBlockHeight is the last block height at which the transaction can land.
func (p *Pending) LastValidBlockHeight() uint64 { return p.lastValidBlockHeight }

// Bytes is the wire form of the partially signed transaction (the wallet's slot is zero).
func (p *Pending) Bytes() []byte { return bytes.Clone(p.wire) }

// Base64 is Bytes in base64, the form wallet adapters take.
func (p *Pending) Base64() string {
	return base64.StdEncoding.EncodeToString(p.wire)
}

// Transaction is a copy of the partially signed transaction.
func (p *Pending) Transaction() *solana.Transaction {
	// The decoded slices alias the decoder's input: without the clone a caller editing the
	// copy would edit the prepared bytes. newPending proved that wire decodes.
	tx, _ := solana.TransactionFromBytes(bytes.Clone(p.wire))
	return tx
}

func newPending(wire []byte, wallet solana.PublicKey, lastValid uint64, s *Session,
	settle func(context.Context, error) error) (*Pending, error) {
	// The decoded slices alias the decoder's input, which must not be the kept bytes.
	tx, err := solana.TransactionFromBytes(bytes.Clone(wire))
	if err != nil {
		return nil, fmt.Errorf("session: decoding prepared transaction: %w", err)
	}
	return &Pending{tx: tx, message: message(wire), wire: wire, wallet: wallet, lastValidBlockHeight: lastValid, session: s, settle: settle}, nil
}

// verify accepts signed only if its message is exactly the prepared one, the signatures
// made here are untouched and every other signature verifies against the message. It
// returns the prepared transaction with those signatures: signed is compared, never
// decoded, because a decoder may read the same bytes as another transaction (after the
// count 0x81 0x00, a v1 envelope needing no signature).
func (p *Pending) verify(signed []byte) (*solana.Transaction, error) {
	n, off, ok := shortVec(signed)
	if !ok || n != len(p.tx.Signatures) || len(signed) < off+64*n {
		return nil, fmt.Errorf("%w: want %d signatures", ErrTampered, len(p.tx.Signatures))
	}
	if !bytes.Equal(signed[off+64*n:], p.message) {
		return nil, fmt.Errorf("%w: message bytes differ", ErrTampered)
	}
	tx := p.Transaction()
	for i, mine := range p.tx.Signatures {
		var sig solana.Signature
		copy(sig[:], signed[off+64*i:])
		signer := tx.Message.AccountKeys[i]
		if !mine.IsZero() {
			if sig != mine {
				return nil, fmt.Errorf("%w: signature of %s replaced", ErrTampered, signer)
			}
			continue
		}
		if !ed25519.Verify(signer[:], p.message, sig[:]) {
			return nil, fmt.Errorf("%w: signature of %s does not verify", ErrTampered, signer)
		}
		tx.Signatures[i] = sig
	}
	return tx, nil
}

// message is the message part of a transaction in wire form that decoded.
func message(wire []byte) []byte {
	n, off, _ := shortVec(wire)
	return wire[off+64*n:]
}

// shortVec decodes the compact-u16 length prefix of a transaction's signature list. Like
// Solana's decoder it refuses a longer encoding than needed, so that a count has one
// spelling, and a value past u16.
func shortVec(b []byte) (n, size int, ok bool) {
	for i := 0; i < 3 && i < len(b); i++ {
		n |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if (i > 0 && b[i] == 0) || n > math.MaxUint16 {
				return 0, 0, false
			}
			return n, i + 1, true
		}
	}
	return 0, 0, false
}
