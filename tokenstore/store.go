package tokenstore

import (
	"context"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Store keeps session records and their secret keys. Dir and Memory
// implement it, and tokenstore/postgres for replicas on many hosts; code that persists sessions (a session pool, a CLI) should
// accept a Store, or the subset of it that it uses.
//
// Records are immutable: a token address is derived from its session
// signer, so there is no update, only Put and Delete.
type Store interface {
	// Put stores rec with key, whose public key must be rec.SessionSigner.
	// It fails with ErrExists if rec.Token is already stored and with
	// ErrInvalidRecord if rec is incomplete.
	Put(ctx context.Context, rec Record, key *txn.SessionKey) error
	// Get returns the record and a fresh copy of the key stored for token,
	// or ErrNotFound. The caller should Zero the key when done.
	Get(ctx context.Context, token solana.PublicKey) (Record, *txn.SessionKey, error)
	// List returns the records matching f, earliest ValidUntil first.
	//
	// When some record files cannot be used (corrupt, from a newer
	// release, not regular files), List still returns every sound record,
	// together with a *PartialError naming each bad file. Callers should
	// keep the records and report the error:
	//
	//	recs, err := st.List(ctx, f)
	//	var pe *tokenstore.PartialError
	//	if errors.As(err, &pe) {
	//		log(pe) // recs are sound; pe.Files names each bad file
	//	} else if err != nil {
	//		return err // nothing was listed
	//	}
	//
	// Any other error means nothing was listed. Memory never returns a
	// *PartialError.
	List(ctx context.Context, f Filter) ([]Record, error)
	// ListExpired returns the records expired at now, in List's order and
	// with its *PartialError semantics.
	ListExpired(ctx context.Context, now time.Time) ([]Record, error)
	// Delete removes the session for token, or returns ErrNotFound.
	Delete(ctx context.Context, token solana.PublicKey) error
	// Prune deletes the records expired at now and returns how many. Bad
	// files are left in place and reported in a *PartialError, as in List,
	// possibly joined with a failure of the pruning itself. An expired
	// session's signer may still hold top-up lamports: see Dir.Prune.
	Prune(ctx context.Context, now time.Time) (int, error)
	// Close releases the store; later calls return ErrClosed.
	Close() error
}
