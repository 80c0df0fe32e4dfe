package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// readGrant reads a grant document for create --grant.
func readGrant(path string) (*grant.Grant, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the grant: %w", err)
	}
	g, err := grant.Parse(b)
	if err != nil {
		return nil, usageError("see the client/grant package documentation for the fields", "--grant %s: %v", path, err)
	}
	return g, nil
}

// grantView is a stored grant and how it compares with the chain, for inspect.
type grantView struct {
	Document json.RawMessage `json:"document,omitempty"`
	// Stored is the SHA-256 of the stored grant, OnChain the hash in the create
	// transaction's memo.
	Stored    string `json:"sha256"`
	OnChain   string `json:"memoSha256,omitempty"`
	Signature string `json:"createSignature,omitempty"`
	// Check is "match", "tampered" (the stored grant is not what was signed) or "no
	// memo"; Reason says more.
	Check  string `json:"check"`
	Reason string `json:"reason,omitempty"`
}

// inspectGrant reads token's grant from the store and checks it against the chain; nil
// when the store keeps none for it.
func inspectGrant(ctx context.Context, m *session.Manager, st tokenstore.Store, token, authority solana.PublicKey) (*grantView, error) {
	att, ok := st.(tokenstore.Attacher)
	if !ok {
		return nil, nil
	}
	stored, err := att.Attachment(ctx, token, tokenstore.AttachmentGrant)
	if errors.Is(err, tokenstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := m.CheckGrant(ctx, session.CheckGrantParams{Token: token, Authority: authority, Grant: stored})
	v := &grantView{Stored: hex.EncodeToString(c.Stored[:]), Signature: c.Signature.String(), Check: "match"}
	if c.Grant != nil {
		v.Document = stored
	}
	if c.OnChain != ([32]byte{}) {
		v.OnChain = hex.EncodeToString(c.OnChain[:])
	}
	switch {
	case errors.Is(err, session.ErrGrantTampered):
		v.Check, v.Reason = "tampered", err.Error()
	case errors.Is(err, session.ErrNoGrantMemo):
		v.Check, v.Reason = "no memo", err.Error()
	case err != nil:
		return nil, err
	}
	return v, nil
}

func (v *grantView) writeText(w io.Writer) error {
	fmt.Fprintln(w, "\nGrant (from the store)")
	f := output.NewFields(w)
	if v.Document != nil {
		f.Add("Document", string(v.Document))
	}
	f.Add("SHA-256", v.Stored)
	f.Add("Create Transaction", v.Signature)
	switch v.Check {
	case "match":
		f.Add("Memo", "matches: the wallet signed this grant")
	default:
		f.Add("Memo", v.Check+": "+v.Reason)
	}
	return f.Flush()
}
