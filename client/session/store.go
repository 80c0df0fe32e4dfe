package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// StorePersister adapts a tokenstore.Store (encrypted on disk, shared by processes) to a
// Persister for sessions of the session program programID; Load skips records of other
// programs. Records are immutable, so saving a session that is already stored is a no-op.
func StorePersister(st tokenstore.Store, programID solana.PublicKey) Persister {
	return &storePersister{st: st, programID: programID}
}

type storePersister struct {
	st        tokenstore.Store
	programID solana.PublicKey
}

func (p *storePersister) Save(ctx context.Context, snap Snapshot) error {
	key, err := txn.NewSessionKey(snap.Seed[:])
	if err != nil {
		return err
	}
	defer key.Zero()
	err = p.st.Put(ctx, tokenstore.Record{
		ProgramID: p.programID, Version: snap.Version, Token: snap.Token, Authority: snap.Authority,
		TargetProgram: snap.TargetProgram, SessionSigner: snap.SessionSigner, FeePayer: snap.FeePayer, ValidUntil: snap.ValidUntil,
	}, key)
	if err != nil && !errors.Is(err, tokenstore.ErrExists) {
		return err
	}
	if snap.Grant == nil && len(snap.Tokens) == 0 {
		return nil
	}
	a, ok := p.st.(tokenstore.Attacher)
	if !ok {
		return fmt.Errorf("%w: session %s has a grant or token caps and the store keeps no attachments", ErrBadParams, snap.Token)
	}
	if snap.Grant != nil {
		if err := a.Attach(ctx, snap.Token, tokenstore.AttachmentGrant, snap.Grant); err != nil && !errors.Is(err, tokenstore.ErrExists) {
			return err
		}
	}
	if len(snap.Tokens) > 0 {
		caps, err := encodeTokenCaps(snap.Tokens)
		if err != nil {
			return err
		}
		if err := a.Attach(ctx, snap.Token, tokenstore.AttachmentTokens, caps); err != nil && !errors.Is(err, tokenstore.ErrExists) {
			return err
		}
	}
	return nil
}

func (p *storePersister) Delete(ctx context.Context, token solana.PublicKey) error {
	if err := p.st.Delete(ctx, token); err != nil && !errors.Is(err, tokenstore.ErrNotFound) {
		return err
	}
	return nil
}

func (p *storePersister) Load(ctx context.Context) ([]Snapshot, error) {
	recs, err := p.st.List(ctx, tokenstore.Filter{})
	var bad []error
	var partial *tokenstore.PartialError
	switch {
	case errors.As(err, &partial):
		bad = append(bad, partial.Files...)
	case err != nil:
		return nil, err
	}
	out := make([]Snapshot, 0, len(recs))
	for _, rec := range recs {
		if rec.ProgramID != p.programID {
			continue
		}
		_, key, err := p.st.Get(ctx, rec.Token)
		if errors.Is(err, tokenstore.ErrNotFound) {
			continue // deleted since List
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("session: loading %s: %w", rec.Token, err))
			continue
		}
		seed := key.Seed()
		key.Zero()
		snap := Snapshot{
			Token: rec.Token, SessionSigner: rec.SessionSigner, Authority: rec.Authority, TargetProgram: rec.TargetProgram,
			FeePayer: rec.FeePayer, Version: rec.Version, ValidUntil: rec.ValidUntil, Seed: Seed(seed),
		}
		clear(seed)
		if a, ok := p.st.(tokenstore.Attacher); ok {
			if err := loadAttachments(ctx, a, &snap); err != nil {
				bad = append(bad, err)
				continue
			}
		}
		out = append(out, snap)
	}
	if len(bad) > 0 {
		return out, &LoadError{Errs: bad}
	}
	return out, nil
}

// loadAttachments fills in snap's grant and token caps from the store, when it has them.
func loadAttachments(ctx context.Context, a tokenstore.Attacher, snap *Snapshot) error {
	g, err := a.Attachment(ctx, snap.Token, tokenstore.AttachmentGrant)
	switch {
	case err == nil:
		snap.Grant = g
	case !errors.Is(err, tokenstore.ErrNotFound):
		return fmt.Errorf("session: loading the grant of %s: %w", snap.Token, err)
	}
	snap.Tokens, err = StoredTokenCaps(ctx, a, snap.Token)
	return err
}

// StoredTokenCaps returns the token caps a StorePersister kept for token (the ones
// granted at create), for RevokeParams.Tokens; nil when the store keeps none.
func StoredTokenCaps(ctx context.Context, a tokenstore.Attacher, token solana.PublicKey) ([]TokenCap, error) {
	raw, err := a.Attachment(ctx, token, tokenstore.AttachmentTokens)
	if errors.Is(err, tokenstore.ErrNotFound) {
		return nil, nil
	}
	var caps []TokenCap
	if err == nil {
		caps, err = decodeTokenCaps(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("session: loading the token caps of %s: %w", token, err)
	}
	return caps, nil
}
