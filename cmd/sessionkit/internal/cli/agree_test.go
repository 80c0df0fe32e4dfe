package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
)

// judgedAccount is an address, and the signer and authority validate is asked about.
type judgedAccount struct {
	addr, signer, authority solana.PublicKey
}

// agreeWithGet checks that inspect and validate (with the token's own target) reach
// the verdict of session.Manager.Get on each account, for the same reason.
func agreeWithGet(t *testing.T, h *harness, accounts []judgedAccount) {
	// A new Manager, as each command has, reads the clock as it is now.
	m := session.NewManager(h.net.RPC(), nil)
	for _, a := range accounts {
		tok, getErr := m.Get(context.Background(), a.addr)

		var view tokenview.View
		r := h.onNet("inspect", a.addr.String(), "--output", "json")
		require.NoError(t, json.Unmarshal([]byte(r.out), &view), "%s", r)
		var v verdict
		r = h.onNet("validate", a.addr.String(), "--signer", a.signer.String(), "--authority", a.authority.String(), "--output", "json")
		require.NoError(t, json.Unmarshal([]byte(r.out), &v), "%s", r)

		var ve *client.ValidationError
		switch {
		case getErr == nil && !tok.Expired:
			require.Equal(t, tokenview.Active, view.Status, a.addr)
			require.True(t, v.Valid, a.addr)
		case getErr == nil:
			require.Equal(t, tokenview.Expired, view.Status, a.addr)
			require.Equal(t, "expiry", v.FailedCheck, a.addr)
		case errors.Is(getErr, session.ErrNotFound):
			require.Equal(t, tokenview.NotFound, view.Status, a.addr)
			require.Equal(t, "owner", v.FailedCheck, a.addr)
		case errors.Is(getErr, session.ErrMismatch) && errors.As(getErr, &ve):
			require.Equal(t, tokenview.NotToken, view.Status, a.addr)
			require.Equal(t, strings.TrimPrefix(tokenview.Reason(ve), "not a session token: "), view.Reason, a.addr)
			require.Equal(t, checks[failedStep(ve)].Name, v.FailedCheck, a.addr)
			require.Equal(t, tokenview.Reason(ve), v.Reason, a.addr)
		default:
			t.Fatalf("Get(%s): unexpected error %v", a.addr, getErr)
		}
	}
}
