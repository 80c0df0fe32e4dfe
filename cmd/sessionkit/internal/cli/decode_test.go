package cli

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/mr-tron/base58"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// decodeFixture is a create_session the authority has signed and the session signer has
// not, followed by a move of the example game: what a wallet hands back to a game.
func decodeFixture(t *testing.T) []byte {
	authority, err := txn.SessionKeyFromPrivateKey(fixedKey(1))
	require.NoError(t, err)
	signer := fixedKey(2).PublicKey()
	game := examplegame.Game{ID: gameID}
	create, err := client.NewCreateSession(client.CreateSessionAccounts{SessionSigner: signer,
		Authority: authority.PublicKey(), TargetProgram: gameID}, client.CreateArgs{TopUp: new(true), ValidUntil: new(int64(t0 + 3600)), ClusterTime: t0})
	require.NoError(t, err)
	player, err := game.Player(authority.PublicKey())
	require.NoError(t, err)
	token, _, err := pda.Find(pda.V1, pda.MagicBlockProgramID, gameID, signer, authority.PublicKey())
	require.NoError(t, err)
	msg, err := txn.CompileLegacy(authority.PublicKey(), solana.HashFromBytes(bytes.Repeat([]byte{0xbb}, 32)),
		create, game.Move(player, signer, token, examplegame.Up))
	require.NoError(t, err)
	sigs := make([]solana.Signature, len(msg.Signers()))
	sigs[0] = authority.Sign(msg.Bytes())
	wire, err := msg.Assemble(sigs)
	require.NoError(t, err)
	return wire
}

// TestDecodeGolden runs decode offline: it needs no cluster.
func TestDecodeGolden(t *testing.T) {
	h := newHarness(t, nil)
	wire := decodeFixture(t)
	b64, b58 := base64.StdEncoding.EncodeToString(wire), base58.Encode(wire)
	stdin := filepath.Join(h.home, "tx.b64")
	require.NoError(t, os.WriteFile(stdin, []byte(b64+"\n"), 0o600))
	short := func(s string) string { return s[:12] + "…" }

	for _, tc := range []struct {
		name string
		args []string
		in   string
	}{
		{"decode", []string{"decode", b64}, ""},
		{"decode-base58-json", []string{"decode", b58, "--output", "json"}, ""},
		{"decode-stdin-compact", []string{"decode", "-", "--output", "json-compact"}, stdin},
		{"decode-malformed", []string{"decode", b64[:60]}, ""},
		{"decode-not-encoded", []string{"decode", "0OIl*"}, ""},
		{"decode-bad-encoding", []string{"decode", "--encoding", "hex", b64}, ""},
		{"decode-wrong-encoding", []string{"decode", "--encoding", "base58", b64}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.in = nil
			if tc.in != "" {
				f, err := os.Open(tc.in)
				require.NoError(t, err)
				defer f.Close()
				h.in = f
			}
			r := h.run(tc.args...)
			// The transaction itself is long; the golden files name it by its start.
			for i, a := range r.args {
				if len(a) > 60 {
					r.args[i] = short(a)
				}
			}
			golden.Check(t, "decode/"+tc.name+".txt", r.String())
		})
	}

	r := h.run("decode", "--program-id", "gum", b64).ok(t)
	require.Contains(t, r.out, "Instruction 0: gpl_session create_session\n", "both deployments decode whatever --program-id says")
	r = h.run("decode", strings.Repeat("A", maxStdin))
	require.Equal(t, ExitUsage, r.code)
}
