package session

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/spl"
)

var (
	// ErrGrantTampered means a stored grant's hash is not the hash the memo of the
	// session's create transaction carries (or the stored bytes are not a grant): the
	// store's copy is not what the player signed.
	ErrGrantTampered = errors.New("session: stored grant differs from the one signed on chain")
	// ErrNoGrantMemo means the session's create transaction carries no grant memo signed
	// by its authority.
	ErrNoGrantMemo = errors.New("session: the create transaction carries no grant memo")
)

// CheckGrantParams names a session and the grant stored for it.
type CheckGrantParams struct {
	Token     solana.PublicKey
	Authority solana.PublicKey
	// Grant is the stored grant's bytes, as the store holds them (canonical JSON).
	Grant []byte
	// CreateSignature is the create transaction's signature when known (Session's
	// CreateSignature, SubmitSigned's answer); otherwise the oldest transaction that
	// names the token is taken, through getSignaturesForAddress.
	CreateSignature solana.Signature
}

// GrantCheck is what CheckGrant found.
type GrantCheck struct {
	// Grant is the stored grant, parsed; nil when the bytes are not a grant.
	Grant *grant.Grant
	// Stored is the SHA-256 of the stored bytes, OnChain the hash the memo carries.
	Stored, OnChain [32]byte
	// Signature is the create transaction's.
	Signature solana.Signature
}

// Match reports whether the stored grant is the one signed on chain.
func (c *GrantCheck) Match() bool { return c.Stored == c.OnChain }

// maxSignaturePages bounds the search for a token's oldest transaction: every move names
// the token, so a busy session has many.
const maxSignaturePages = 50

// CheckGrant compares a stored grant with the memo of the session's create transaction:
// the transaction must have landed without error, create the token (an instruction of
// the session program naming it) and carry a grant memo whose one account is the
// authority (the Memo program made it sign). It returns the check with
// ErrGrantTampered when the hashes differ or the bytes are not a grant, and
// ErrNoGrantMemo when the transaction has no such memo.
func (m *Manager) CheckGrant(ctx context.Context, p CheckGrantParams) (*GrantCheck, error) {
	c := &GrantCheck{Stored: sha256.Sum256(p.Grant), Signature: p.CreateSignature}
	g, perr := grant.Parse(p.Grant)
	if perr == nil {
		c.Grant = g
	}
	if c.Signature.IsZero() {
		sig, err := m.oldestSignature(ctx, p.Token)
		if err != nil {
			return c, err
		}
		c.Signature = sig
	}
	v0 := uint64(0)
	res, err := m.rpc.GetTransaction(ctx, c.Signature, &rpc.GetTransactionOpts{
		Encoding: solana.EncodingBase64, Commitment: m.commitment, MaxSupportedTransactionVersion: &v0})
	if err != nil {
		return c, fmt.Errorf("session: reading create transaction %s of %s: %w", c.Signature, p.Token, err)
	}
	if res == nil || res.Transaction == nil || res.Meta == nil || res.Meta.Err != nil {
		return c, fmt.Errorf("%w: transaction %s did not land without error", ErrNoGrantMemo, c.Signature)
	}
	tx, err := res.Transaction.GetTransaction()
	if err != nil {
		return c, fmt.Errorf("session: decoding create transaction %s: %w", c.Signature, err)
	}
	keys := tx.Message.AccountKeys
	key := func(i uint16) solana.PublicKey {
		if int(i) < len(keys) {
			return keys[i]
		}
		return solana.PublicKey{}
	}
	creates, found := false, false
	for _, ix := range tx.Message.Instructions {
		switch key(ix.ProgramIDIndex) {
		case m.programID:
			for _, a := range ix.Accounts {
				creates = creates || key(a) == p.Token
			}
		case spl.MemoProgramID:
			if h, ok := grant.ParseMemo(ix.Data); ok && len(ix.Accounts) == 1 && key(ix.Accounts[0]) == p.Authority &&
				int(ix.Accounts[0]) < int(tx.Message.Header.NumRequiredSignatures) {
				c.OnChain, found = h, true
			}
		}
	}
	switch {
	case !creates:
		return c, fmt.Errorf("%w: transaction %s does not create %s", ErrNoGrantMemo, c.Signature, p.Token)
	case !found:
		return c, fmt.Errorf("%w: transaction %s (creating %s)", ErrNoGrantMemo, c.Signature, p.Token)
	case perr != nil:
		return c, fmt.Errorf("%w: the stored bytes are not a grant: %w", ErrGrantTampered, perr)
	case !c.Match():
		return c, fmt.Errorf("%w: stored sha256 %x, memo of %s %x", ErrGrantTampered, c.Stored, c.Signature, c.OnChain)
	}
	return c, nil
}

// oldestSignature is the first transaction that named account, paging back through
// getSignaturesForAddress.
func (m *Manager) oldestSignature(ctx context.Context, account solana.PublicKey) (solana.Signature, error) {
	var oldest solana.Signature
	opts := &rpc.GetSignaturesForAddressOpts{Commitment: m.commitment}
	for range maxSignaturePages {
		page, err := m.rpc.GetSignaturesForAddressWithOpts(ctx, account, opts)
		if err != nil {
			return oldest, fmt.Errorf("session: listing the transactions of %s: %w", account, err)
		}
		if len(page) == 0 {
			break
		}
		oldest = page[len(page)-1].Signature
		opts.Before = oldest
	}
	if oldest.IsZero() {
		return oldest, fmt.Errorf("%w: no transaction names %s", ErrNoGrantMemo, account)
	}
	return oldest, nil
}
