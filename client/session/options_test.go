package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/pda"
)

func TestManagerOptions(t *testing.T) {
	cache := pda.NewCache(4)
	m := NewManager(rpc.New("http://127.0.0.1:1"), nil,
		WithPDACache(cache), WithClockMaxAge(5*time.Second), WithComputeCaps(60_000, 7))
	require.Same(t, cache, m.pdas)
	require.Equal(t, 5*time.Second, m.clock.maxAge)
	require.Equal(t, uint32(60_000), m.unitLimitCap)
	require.Equal(t, uint64(7), m.unitPriceCap)
}

// The Manager's caps are what its sessions' guard enforces.
func TestComputeCapsBoundMoves(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	WithComputeCaps(0, 7)(m)
	s := testSession(t, m, 2_000)
	move := moveIx(s, solana.PublicKey{9})
	_, err := s.Wrap(t.Context(), solana.Hash{1}, []solana.Instruction{move, computeUnitPrice(7)}, MoveParams{})
	require.NoError(t, err)
	_, err = s.Wrap(t.Context(), solana.Hash{1}, []solana.Instruction{move, computeUnitPrice(8)}, MoveParams{})
	require.ErrorIs(t, err, guard.ErrComputeBudget)
}

// Dial sends the headers it is given (an RPC provider's API key, say) with every call.
func TestDialSendsHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-Api-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"no"}}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := Dial(ctx, srv.URL, WithWebSocketURL(""), WithHeader(http.Header{"X-Api-Key": {"k3y"}}))
	if err == nil {
		m.Close()
		t.Fatal("Dial succeeded against a server that answers every call with an error")
	}
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	for _, h := range got {
		require.Equal(t, "k3y", h)
	}
}

// The validity limit is the deployment's, checked before anything is sent: a day at the
// Gum-era id, unless the Manager is told otherwise.
func TestCreateChecksTheDeploymentsValidity(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_700_000_000)
	authority := solana.NewWallet().PublicKey()
	for _, tc := range []struct {
		name    string
		opts    []Option
		tooLong bool
	}{
		{"MagicBlock allows 2 days", nil, false},
		{"Gum allows 1 day", []Option{WithProgramID(pda.GumProgramID)}, true},
		{"overridden", []Option{WithProgramID(pda.GumProgramID), WithMaxValidity(client.MaxValidity)}, false},
	} {
		m := offlineManager(fc, time.Hour)
		m.pdas = pda.NewCache(4)
		for _, o := range tc.opts {
			o(m)
		}
		_, err := m.planCreate(t.Context(), authority, CreateParams{Kind: KindV1, TargetProgram: gameID, ValidFor: 48 * time.Hour, Unfunded: true})
		if tc.tooLong {
			require.ErrorIs(t, err, client.ErrValidityTooLong, tc.name)
		} else {
			require.NoError(t, err, tc.name)
		}
	}
}
