package session

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
)

// Seed is the 32-byte ed25519 seed of a session signer. Every fmt verb, slog and
// encoding/json print it as redacted or refuse it, so a Snapshot can be logged safely; a
// store reads the bytes explicitly (seed[:]).
type Seed [ed25519.SeedSize]byte

// Format prints "[redacted]" for every verb.
func (Seed) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// LogValue keeps the seed out of slog output.
func (Seed) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON refuses, so the key cannot leak through a JSON encoder by accident.
func (Seed) MarshalJSON() ([]byte, error) {
	return nil, errors.New("session: refusing to JSON-encode a session key seed")
}

// MarshalText refuses for the same reason as MarshalJSON.
func (Seed) MarshalText() ([]byte, error) {
	return nil, errors.New("session: refusing to text-encode a session key seed")
}

// Snapshot is everything needed to resume a session after a restart: what a [Persister]
// stores. Resume re-checks it against the chain, so a stale or forged snapshot cannot
// produce a usable Session.
type Snapshot struct {
	Token         solana.PublicKey
	SessionSigner solana.PublicKey
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	FeePayer      solana.PublicKey
	Version       pda.Version
	ValidUntil    int64
	Seed          Seed
	// Grant is the canonical JSON of the session's permission grant, nil without one.
	// Resume re-applies its bounds; their counters are the store's (WithStore).
	Grant []byte
	// Tokens are the token caps granted at create (CreateParams.Tokens), Remaining
	// zero: Resume checks their accounts, Session.Caps then reads the delegate
	// allowances among them, Revoke ends those, and Renew grants them again.
	Tokens []TokenCap
}

// Snapshot returns the session's state including its key seed, for a store.
func (s *Session) Snapshot() Snapshot {
	snap := Snapshot{
		Token: s.token, SessionSigner: s.signer, Authority: s.authority, TargetProgram: s.target,
		FeePayer: s.feePayer, Version: s.version, ValidUntil: s.validUntil,
	}
	if s.key != nil { // an external session's key is elsewhere: no seed to give
		seed := s.key.Seed()
		snap.Seed = Seed(seed)
		clear(seed)
	}
	for _, c := range s.tokens {
		c.Remaining = 0
		snap.Tokens = append(snap.Tokens, c)
	}
	if s.bounds != nil {
		snap.Grant = slices.Clone(s.bounds.canonical)
	}
	return snap
}

// LoadError reports the stored sessions a Persister could not load, each error naming
// its record; the sessions returned with it are sound.
type LoadError struct{ Errs []error }

func (e *LoadError) Error() string {
	return fmt.Sprintf("session: %d stored session(s) could not be loaded: %v", len(e.Errs), errors.Join(e.Errs...))
}

// Unwrap returns the errors of each record, for errors.Is and errors.As.
func (e *LoadError) Unwrap() []error { return e.Errs }

// Persister keeps sessions across process restarts; a tokenstore adapter satisfies it.
// Implementations must be safe for concurrent use.
type Persister interface {
	// Save stores or replaces the session with snap.Token.
	Save(ctx context.Context, snap Snapshot) error
	// Delete forgets the session; deleting an unknown token is not an error.
	Delete(ctx context.Context, token solana.PublicKey) error
	// Load returns every stored session it can read. Sessions it cannot read (a
	// corrupt file, say) are reported in a *LoadError beside the others, so one bad
	// record hides no good one.
	Load(ctx context.Context) ([]Snapshot, error)
}
