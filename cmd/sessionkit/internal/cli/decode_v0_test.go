package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// A v0 move whose player and token come from a lookup table: decode shows the entries,
// and with the table's contents given, the addresses they load.
func TestV0DecodeLookedUp(t *testing.T) {
	h := newHarness(t, nil)
	signer, err := txn.SessionKeyFromPrivateKey(fixedKey(2))
	require.NoError(t, err)
	authority := fixedKey(1).PublicKey()
	game := examplegame.Game{ID: gameID}
	player, err := game.Player(authority)
	require.NoError(t, err)
	token, _, err := pda.Find(pda.V1, pda.MagicBlockProgramID, gameID, signer.PublicKey(), authority)
	require.NoError(t, err)
	table := txn.LookupTable{Address: fixedKey(3).PublicKey(), Addresses: []solana.PublicKey{fixedKey(4).PublicKey(), player, token}}
	msg, err := txn.CompileV0(signer.PublicKey(), solana.HashFromBytes(bytes.Repeat([]byte{0xbb}, 32)), []txn.LookupTable{table},
		game.Move(player, signer.PublicKey(), token, examplegame.Up))
	require.NoError(t, err)
	wire, err := msg.Sign(signer)
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString(wire)

	r := h.run("decode", b64).ok(t)
	require.Contains(t, r.out, "lookup table "+table.Address.String()+", entry 1")
	require.NotContains(t, r.out, player.String())

	given := table.Address.String() + "=" + strings.Join([]string{table.Addresses[0].String(), player.String(), token.String()}, ",")
	r = h.run("decode", "--lookup-table", given, b64).ok(t)
	require.Contains(t, r.out, player.String()+" (lookup table "+table.Address.String()+", entry 1)")
	require.Contains(t, r.out, token.String()+" (lookup table "+table.Address.String()+", entry 2)")
	r = h.run("decode", "--lookup-table", given, "--output", "json", b64).ok(t)
	require.Contains(t, r.out, `"pubkey": "`+player.String()+`",`)

	r = h.run("decode", "--lookup-table", table.Address.String()+"="+player.String(), b64)
	require.Equal(t, ExitUsage, r.code)
	require.Contains(t, r.err, "holds 1 addresses, the message loads entry 1")
	r = h.run("decode", "--lookup-table", fixedKey(5).PublicKey().String()+"="+player.String(), b64)
	require.Equal(t, ExitUsage, r.code)
	require.Contains(t, r.err, "not given")
	r = h.run("decode", "--lookup-table", "nonsense", b64)
	require.Equal(t, ExitUsage, r.code)
}

// --fetch-tables reads the tables a message names from the cluster.
func TestV0DecodeFetchTables(t *testing.T) {
	t.Parallel()
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(1_000_000_000)
	key, err := txn.SessionKeyFromPrivateKey(auth)
	require.NoError(t, err)
	a, b := fixedKey(6).PublicKey(), fixedKey(7).PublicKey()
	table, err := h.manager().CreateLookupTable(context.Background(), []solana.PublicKey{a, b}, session.LookupTableParams{Authority: key})
	require.NoError(t, err)
	msg, err := txn.CompileV0(key.PublicKey(), solana.Hash{1}, []txn.LookupTable{table},
		solana.NewInstruction(gameID, solana.AccountMetaSlice{solana.NewAccountMeta(b, true, false), solana.NewAccountMeta(a, false, false)}, []byte{1}))
	require.NoError(t, err)
	wire, err := msg.Sign(key)
	require.NoError(t, err)

	r := h.onNet("decode", "--fetch-tables", base64.StdEncoding.EncodeToString(wire)).ok(t)
	require.Contains(t, r.out, b.String()+" (lookup table "+table.Address.String()+", entry 1)")
	require.Contains(t, r.out, a.String()+" (lookup table "+table.Address.String()+", entry 0)")
}
