package session

import (
	"errors"
	"testing"
	"time"

	"github.com/sessionkit/sessionkit/client/txn"
)

func TestZeroedParamKeyRefused(t *testing.T) {
	m := offlineManager(&fakeClock{}, time.Hour)
	s := testSession(t, m, 0)
	payer := newKey(t)
	payer.Zero()
	_, err := m.Revoke(t.Context(), s, RevokeParams{FeePayer: payer})
	if !errors.Is(err, ErrBadParams) || !errors.Is(err, txn.ErrKeyZeroed) {
		t.Fatalf("Revoke with a zeroed FeePayer: %v, want ErrBadParams and txn.ErrKeyZeroed", err)
	}
	if s.state.Load() != stateActive {
		t.Fatal("a refused revoke left the session not active")
	}
}
