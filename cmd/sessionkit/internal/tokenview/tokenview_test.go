package tokenview

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
)

// key is a fixed public key: the ed25519 key of a seed of n repeated.
func key(n byte) solana.PublicKey {
	return solana.PublicKeyFromBytes(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32)).Public().(ed25519.PublicKey))
}

const t0 = 1_900_000_000 // 2030-03-17T17:46:40Z

// status is tok as a listing returns it, at its own PDA.
func status(t *testing.T, tok client.TokenAccount, lamports uint64, expired bool) *session.TokenStatus {
	addr, _, err := tok.Address(pda.MagicBlockProgramID)
	require.NoError(t, err)
	return &session.TokenStatus{TokenAccount: tok, Address: addr, Lamports: lamports, Expired: expired}
}

func TestRender(t *testing.T) {
	game := solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi")
	v1 := client.TokenAccount{Version: pda.V1, Authority: key(1), TargetProgram: game, SessionSigner: key(2), ValidUntil: t0 + 3600}
	v2 := client.TokenAccount{Version: pda.V2, Authority: key(1), TargetProgram: game, SessionSigner: key(3), FeePayer: key(4), ValidUntil: t0 + 600}
	withCaps := FromToken(pda.MagicBlockProgramID, status(t, v1, 1_670_400, false), t0)
	withCaps.SetCaps(&session.Caps{SOL: 9_935_000, Tokens: []session.TokenCap{
		{Mint: key(5), Program: spl.TokenProgramID, Mode: session.TokenTopUp, Account: key(6), Granted: 50_000_000, Remaining: 5_000_000},
		{Mint: key(7), Program: spl.Token2022ProgramID, Mode: session.TokenDelegate, Account: key(8), Granted: 20, Remaining: 0},
	}})
	require.Equal(t, "0.009935 SOL + 2 token account(s)", withCaps.Caps.CapsText())
	for _, tc := range []struct {
		name string
		view *View
	}{
		{"v1-active", FromToken(pda.MagicBlockProgramID, status(t, v1, 1_670_400, false), t0)},
		{"v1-caps", withCaps},
		{"v2-active", FromToken(pda.MagicBlockProgramID, status(t, v2, 1_893_120, false), t0)},
		{"v2-expired", FromToken(pda.MagicBlockProgramID, status(t, v2, 1_893_120, true), t0+601)},
		{"not-found", New(pda.MagicBlockProgramID, &session.Inspection{Address: key(9), ClusterTime: t0},
			fmt.Errorf("%w: %s", session.ErrNotFound, key(9)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var text, js bytes.Buffer
			require.NoError(t, tc.view.WriteText(&text))
			require.NoError(t, output.WriteJSON(&js, output.JSON, tc.view))
			golden.Check(t, tc.name+".txt", text.String())
			golden.Check(t, tc.name+".json", js.String())
		})
	}
}
