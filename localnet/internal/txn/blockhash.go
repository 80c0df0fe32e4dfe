// Package txn sends transactions and waits until the cluster confirms them,
// with the blockhash bookkeeping that localnet and deploy share.
package txn

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// Blockhash is a recent blockhash with the last block height at which
// transactions that use it can still land.
type Blockhash struct {
	Hash                 solana.Hash
	LastValidBlockHeight uint64
}

// Blockhashes hands out a cached recent blockhash and fetches a new one after
// MaxUses hand-outs or MaxAge, whichever comes first. Surfpool turns every
// transaction into a block and keeps slots ticking when idle, so a blockhash
// lasts only about 150 transactions or a few seconds there.
type Blockhashes struct {
	client  *rpc.Client
	maxUses int
	maxAge  time.Duration

	mu      sync.Mutex
	current Blockhash
	uses    int
	fetched time.Time
}

// Defaults for NewBlockhashes, chosen well inside surfpool's ~150-block window.
const (
	DefaultMaxUses = 50
	DefaultMaxAge  = 2 * time.Second
)

// NewBlockhashes returns a cache over client; maxUses or maxAge of zero take
// the defaults.
func NewBlockhashes(client *rpc.Client, maxUses int, maxAge time.Duration) *Blockhashes {
	if maxUses <= 0 {
		maxUses = DefaultMaxUses
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Blockhashes{client: client, maxUses: maxUses, maxAge: maxAge}
}

// Get returns the cached blockhash, refreshing it first when it is due.
func (b *Blockhashes) Get(ctx context.Context) (Blockhash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.uses >= b.maxUses || b.fetched.IsZero() || time.Since(b.fetched) >= b.maxAge {
		if err := b.refreshLocked(ctx); err != nil {
			return Blockhash{}, err
		}
	}
	b.uses++
	return b.current, nil
}

// Refresh fetches a new blockhash now, e.g. after one was reported expired.
func (b *Blockhashes) Refresh(ctx context.Context) (Blockhash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refreshLocked(ctx); err != nil {
		return Blockhash{}, err
	}
	b.uses++
	return b.current, nil
}

func (b *Blockhashes) refreshLocked(ctx context.Context) error {
	res, err := b.client.GetLatestBlockhash(ctx, rpc.CommitmentConfirmed)
	if err != nil {
		return fmt.Errorf("getLatestBlockhash: %w", err)
	}
	b.current = Blockhash{Hash: res.Value.Blockhash, LastValidBlockHeight: res.Value.LastValidBlockHeight}
	b.uses = 0
	b.fetched = time.Now()
	return nil
}
