package session

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/nonce"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// ErrNonceInUse means a nonce account that is leased (NoncePool.Close, Release of a
// nonce of another pool).
var ErrNonceInUse = errors.New("session: nonce account in use")

// NoncePool keeps durable nonce accounts for wallet-signed transactions, so that a
// wallet may take minutes to sign: PrepareCreate and PrepareRevoke with a Nonce from the
// pool make a transaction that stays valid until its nonce advances, instead of for
// about a minute of blocks.
//
// The nonces' authority is a backend key given to NewNoncePool, which also pays for the
// accounts (their rent-exempt lamports, returned by Close) and signs every transaction
// that uses one of them; the wallet pays that signature's fee as it pays its own. The
// pool lives in memory: the accounts of a pool that is not closed stay on chain, owned
// by the authority, who can withdraw them with nonce.NewWithdraw.
//
// A Nonce is leased from Acquire until the transaction that uses it has an outcome
// (SubmitSigned releases it), or until Release. Releasing a nonce whose transaction never
// landed advances it, so that a signature the wallet still holds can never be used: a
// nonce transaction lands once or is made void, never both.
type NoncePool struct {
	m         *Manager
	authority *txn.SessionKey

	mu   sync.Mutex
	free []solana.PublicKey
	// leased are the accounts handed out, with the nonce they held then.
	leased map[solana.PublicKey]solana.Hash
}

// Nonce is a leased nonce account and the nonce it holds: the "blockhash" of the
// transaction that uses it.
type Nonce struct {
	Account solana.PublicKey
	Value   solana.Hash
	pool    *NoncePool
}

// NewNoncePool makes an empty pool whose accounts authority creates, pays for and
// advances. The caller keeps the key alive (not zeroed) until Close.
func (m *Manager) NewNoncePool(authority *txn.SessionKey) (*NoncePool, error) {
	if authority == nil || authority.Zeroed() {
		return nil, fmt.Errorf("%w: a nonce pool needs its authority's key", ErrBadParams)
	}
	return &NoncePool{m: m, authority: authority, leased: map[solana.PublicKey]solana.Hash{}}, nil
}

// Authority is the nonces' authority.
func (p *NoncePool) Authority() solana.PublicKey { return p.authority.PublicKey() }

// Acquire leases a nonce account: a free one of the pool, read afresh, or a new one.
func (p *NoncePool) Acquire(ctx context.Context) (*Nonce, error) {
	p.mu.Lock()
	var account solana.PublicKey
	if n := len(p.free); n > 0 {
		account, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if account.IsZero() {
		var err error
		if account, err = p.create(ctx); err != nil {
			return nil, err
		}
	}
	a, err := p.read(ctx, account)
	if err != nil {
		p.putBack(account)
		return nil, err
	}
	p.mu.Lock()
	p.leased[account] = a.Nonce
	p.mu.Unlock()
	return &Nonce{Account: account, Value: a.Nonce, pool: p}, nil
}

// Release ends n's lease. If n's nonce has not advanced (its transaction has not landed
// and may still be submitted), Release advances it first, so that the transaction can
// never land; then the account is free for the next Acquire. Releasing twice is a no-op.
func (p *NoncePool) Release(ctx context.Context, n *Nonce) error {
	if n == nil || n.pool != p {
		return fmt.Errorf("%w: the nonce is not of this pool", ErrNonceInUse)
	}
	p.mu.Lock()
	value, ok := p.leased[n.Account]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	a, err := p.read(ctx, n.Account)
	if err != nil {
		return err
	}
	if a.Nonce == value {
		if err := p.advance(ctx, n.Account, value); err != nil {
			return err
		}
	}
	p.mu.Lock()
	delete(p.leased, n.Account)
	p.free = append(p.free, n.Account)
	p.mu.Unlock()
	return nil
}

// Close withdraws every free account's lamports to the authority, which closes it. It
// refuses with ErrNonceInUse while nonces are leased; release them first.
func (p *NoncePool) Close(ctx context.Context) error {
	p.mu.Lock()
	if len(p.leased) > 0 {
		p.mu.Unlock()
		return fmt.Errorf("%w: %d nonces leased", ErrNonceInUse, len(p.leased))
	}
	free := p.free
	p.free = nil
	p.mu.Unlock()
	auth := p.authority.PublicKey()
	for i, account := range free {
		res, err := p.m.rpc.GetBalance(ctx, account, p.m.commitment)
		if err == nil {
			err = p.m.sendKeys(ctx, auth, []*txn.SessionKey{p.authority},
				[]solana.Instruction{nonce.NewWithdraw(account, auth, auth, res.Value)})
		}
		if err != nil {
			p.mu.Lock()
			p.free = append(p.free, free[i:]...)
			p.mu.Unlock()
			return fmt.Errorf("session: closing nonce account %s: %w", account, err)
		}
	}
	return nil
}

// Accounts lists the pool's accounts, free and leased.
func (p *NoncePool) Accounts() []solana.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]solana.PublicKey(nil), p.free...)
	for a := range p.leased {
		out = append(out, a)
	}
	return out
}

// create makes a nonce account, the authority paying.
func (p *NoncePool) create(ctx context.Context) (solana.PublicKey, error) {
	rent, err := p.m.rpc.GetMinimumBalanceForRentExemption(ctx, nonce.Size, p.m.commitment)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("session: rent of a nonce account: %w", err)
	}
	// The account's own key signs its creation and is not needed again.
	key, err := txn.GenerateSessionKey(nil)
	if err != nil {
		return solana.PublicKey{}, err
	}
	defer key.Zero()
	account := key.PublicKey()
	if err := p.m.sendKeys(ctx, p.authority.PublicKey(), []*txn.SessionKey{p.authority, key},
		nonce.NewCreate(p.authority.PublicKey(), account, p.authority.PublicKey(), rent)); err != nil {
		return solana.PublicKey{}, fmt.Errorf("session: creating nonce account %s: %w", account, err)
	}
	return account, nil
}

// advance moves account's nonce on from value, in a transaction signed on that nonce:
// the runtime takes a transaction that starts with an advance for a nonce transaction.
// It is done when the nonce has moved on, whoever moved it.
func (p *NoncePool) advance(ctx context.Context, account solana.PublicKey, value solana.Hash) error {
	if p.m.snd == nil {
		return errNoSender
	}
	auth := p.authority.PublicKey()
	msg, err := txn.CompileLegacy(auth, value, nonce.NewAdvance(account, auth))
	if err != nil {
		return err
	}
	wire, err := msg.Sign(p.authority)
	if err != nil {
		return err
	}
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		return fmt.Errorf("session: decoding an advance of nonce %s: %w", account, err)
	}
	_, err = p.m.snd.SendSignedNonce(ctx, tx, sender.NonceParams{Account: account})
	if err != nil && !errors.Is(err, sender.ErrNonceAdvanced) {
		return fmt.Errorf("session: advancing nonce %s: %w", account, err)
	}
	return nil
}

func (p *NoncePool) putBack(account solana.PublicKey) {
	p.mu.Lock()
	p.free = append(p.free, account)
	p.mu.Unlock()
}

// read returns account's nonce state at the Manager's commitment, checking that it is
// the pool's.
func (p *NoncePool) read(ctx context.Context, account solana.PublicKey) (*nonce.Account, error) {
	res, err := p.m.rpc.GetAccountInfoWithOpts(ctx, account, &rpc.GetAccountInfoOpts{Commitment: p.m.commitment})
	if err != nil {
		return nil, fmt.Errorf("session: reading nonce account %s: %w", account, err)
	}
	if res.Value == nil || res.Value.Owner != solana.SystemProgramID {
		return nil, fmt.Errorf("session: %s: %w", account, nonce.ErrInvalidAccount)
	}
	a, err := nonce.Decode(res.Value.Data.GetBinary())
	if err != nil {
		return nil, fmt.Errorf("session: nonce account %s: %w", account, err)
	}
	if a.Authority != p.authority.PublicKey() {
		return nil, fmt.Errorf("%w: nonce account %s has authority %s, not the pool's %s", ErrBadParams, account, a.Authority, p.authority.PublicKey())
	}
	return a, nil
}

// recent is what a prepared transaction is signed on: the latest blockhash, or with n
// its nonce, the advance instruction put first (see useNonce).
func (m *Manager) recent(ctx context.Context, n *Nonce, cfg *wrapConfig, ixs []solana.Instruction) ([]solana.Instruction, sender.Blockhash, error) {
	if n == nil {
		bh, err := m.blockhash(ctx)
		return ixs, bh, err
	}
	if err := m.useNonce(n, cfg); err != nil {
		return nil, sender.Blockhash{}, err
	}
	return append([]solana.Instruction{nonce.NewAdvance(n.Account, n.pool.Authority())}, ixs...), sender.Blockhash{Hash: n.Value}, nil
}

// useNonce checks that n is of a pool of m and adds its authority's key to cfg's
// signers: the advance instruction needs its signature.
func (m *Manager) useNonce(n *Nonce, cfg *wrapConfig) error {
	if n.pool == nil || n.pool.m != m {
		return fmt.Errorf("%w: the Nonce is not from a pool of this Manager", ErrBadParams)
	}
	cfg.keys = append(cfg.keys, n.pool.authority)
	return nil
}

// sendPending submits a prepared transaction: until its nonce advances if it has one,
// else until its blockhash expires. A nonce whose transaction has an outcome is
// released; one whose outcome is unknown stays leased.
func (m *Manager) sendPending(ctx context.Context, p *Pending, tx *solana.Transaction) (solana.Signature, error) {
	if p.nonce == nil {
		return m.sendSigned(ctx, tx, p.lastValidBlockHeight)
	}
	if m.snd == nil {
		return solana.Signature{}, errNoSender
	}
	res, err := m.snd.SendSignedNonce(ctx, tx, sender.NonceParams{Account: p.nonce.Account})
	if !errors.Is(err, sender.ErrOutcomeUnknown) {
		// The outcome stands whatever the release does: a nonce it could not read stays
		// leased, for the caller's Release (and Close refuses until then).
		_ = p.nonce.pool.Release(ctx, p.nonce)
	}
	if err != nil {
		return solana.Signature{}, err
	}
	return res.Signature, nil
}
