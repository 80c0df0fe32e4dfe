package txview

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	computebudget "github.com/gagliardetto/solana-go/programs/compute-budget"
	"github.com/gagliardetto/solana-go/programs/memo"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/mr-tron/base58"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// fixedKey is a deterministic signing key: the ed25519 key whose seed is n repeated.
func fixedKey(t testing.TB, n byte) *txn.SessionKey {
	t.Helper()
	k, err := txn.NewSessionKey(bytes.Repeat([]byte{n}, 32))
	require.NoError(t, err)
	return k
}

var blockhash = solana.HashFromBytes(bytes.Repeat([]byte{0xbb}, 32))

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func knownPrograms(t testing.TB) Programs {
	t.Helper()
	ps, err := Known(pda.MagicBlockProgramID)
	require.NoError(t, err)
	return ps
}

// fixtures are wire transactions and messages built by the client's and solana-go's
// builders, each a case of the golden test.
func fixtures(t testing.TB) map[string][]byte {
	authority, signer, sponsor := fixedKey(t, 1), fixedKey(t, 2), fixedKey(t, 3)
	game := examplegame.Game{ID: examplegame.ProgramID}
	player := must(game.Player(authority.PublicKey()))
	token, _, err := pda.Find(pda.V1, pda.MagicBlockProgramID, game.ID, signer.PublicKey(), authority.PublicKey())
	require.NoError(t, err)
	compile := func(payer solana.PublicKey, ixs ...solana.Instruction) txn.LegacyMessage {
		return must(txn.CompileLegacy(payer, blockhash, ixs...))
	}
	out := map[string][]byte{}

	// The wallet signs a V2 create a sponsor pays for; the sponsor has not signed yet.
	create := compile(sponsor.PublicKey(),
		computebudget.NewSetComputeUnitLimitInstruction(60_000).Build(),
		computebudget.NewSetComputeUnitPriceInstruction(1_000).Build(),
		must(client.NewCreateSessionV2(client.CreateSessionV2Accounts{SessionSigner: signer.PublicKey(),
			FeePayer: sponsor.PublicKey(), Authority: authority.PublicKey(), TargetProgram: game.ID}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(5_000_000)), ValidUntil: new(int64(1_900_003_600)), ClusterTime: 1_900_000_000})),
		memo.NewMemoInstruction([]byte("sessionkit: play for an hour"), authority.PublicKey()).Build())
	sigs := make([]solana.Signature, len(create.Signers()))
	for i, s := range create.Signers() {
		switch s {
		case authority.PublicKey():
			sigs[i] = authority.Sign(create.Bytes())
		case signer.PublicKey():
			sigs[i] = signer.Sign(create.Bytes())
		}
	}
	out["create-v2-partly-signed"] = must(create.Assemble(sigs))

	// The session key plays, then the wallet revokes and the key's lamports go home.
	moves := compile(signer.PublicKey(), game.Move(player, signer.PublicKey(), token, examplegame.Up),
		game.MoveAsOwner(player, authority.PublicKey(), examplegame.Left))
	out["moves-signed"] = must(moves.Sign(signer, authority))
	revoke := compile(authority.PublicKey(),
		must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}, client.RevokeArgs{})),
		system.NewTransferInstruction(9_995_000, signer.PublicKey(), authority.PublicKey()).Build())
	out["revoke-and-sweep"] = must(revoke.Sign(authority, signer))
	// A bad signature: the fee payer's slot holds the other signer's.
	bad := must(revoke.Sign(authority, signer))
	copy(bad[1:65], bad[65:129])
	out["revoke-bad-signature"] = bad

	// The Gum-era program, which reads two create arguments where the builder writes three;
	// a gpl_session instruction no IDL knows; a program nobody knows.
	gum := compile(authority.PublicKey(),
		must(client.NewCreateSession(client.CreateSessionAccounts{SessionSigner: signer.PublicKey(),
			Authority: authority.PublicKey(), TargetProgram: game.ID}, client.CreateArgs{ProgramID: pda.GumProgramID})),
		solana.NewInstruction(pda.MagicBlockProgramID, solana.AccountMetaSlice{solana.Meta(token).WRITE()},
			[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}),
		solana.NewInstruction(fixedKey(t, 9).PublicKey(), solana.AccountMetaSlice{solana.Meta(token)}, []byte{0xde, 0xad}))
	out["gum-and-unknown"] = must(gum.Sign(authority, signer))
	out["bare-message"] = bytes.Clone(moves.Bytes())

	// v0: the player account and the session token come from a lookup table.
	table := fixedKey(t, 7).PublicKey()
	v0, err := solana.NewTransaction([]solana.Instruction{game.Move(player, signer.PublicKey(), token, examplegame.Down)},
		blockhash, solana.TransactionPayer(signer.PublicKey()),
		solana.TransactionAddressTables(map[solana.PublicKey]solana.PublicKeySlice{table: {fixedKey(t, 8).PublicKey(), player, token}}))
	require.NoError(t, err)
	msg, err := v0.Message.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, byte(0x80), msg[0], "a v0 message")
	out["v0-lookups"] = append(append([]byte{1}, make([]byte, 64)...), msg...)
	return out
}

// TestGolden renders every fixture as text and JSON. The texts are what the decode
// command prints.
func TestGolden(t *testing.T) {
	ps := knownPrograms(t)
	for name, raw := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			v, err := DecodeText(base64.StdEncoding.EncodeToString(raw), Auto, ps)
			require.NoError(t, err)
			var text, js bytes.Buffer
			require.NoError(t, v.WriteText(&text))
			require.NoError(t, output.WriteJSON(&js, output.JSON, v))
			golden.Check(t, name+".txt", text.String())
			golden.Check(t, name+".json", js.String())

			// base58 and raw bytes read the same.
			v58, err := DecodeText(base58.Encode(raw), Auto, ps)
			require.NoError(t, err)
			require.Equal(t, Base58, v58.Encoding)
			v58.Encoding = Base64
			require.Equal(t, v, v58)
		})
	}
}

func TestDecodeDetails(t *testing.T) {
	fx := fixtures(t)
	ps := knownPrograms(t)

	v, err := Decode(fx["create-v2-partly-signed"], ps)
	require.NoError(t, err)
	require.Equal(t, "transaction", v.Kind)
	require.Equal(t, []string{SigEmpty, SigValid, SigValid}, []string{v.Signatures[0].Status, v.Signatures[1].Status, v.Signatures[2].Status})
	require.Equal(t, fixedKey(t, 3).PublicKey().String(), v.FeePayer)
	ix := v.Instructions[2]
	require.Equal(t, "create_session_v2", ix.Name)
	lamports, ok := ix.Args.Get("lamports")
	require.True(t, ok)
	require.Equal(t, uint64(5_000_000), lamports)
	require.Equal(t, "fee_payer", ix.Accounts[2].Name)
	require.True(t, ix.Accounts[2].Signer && ix.Accounts[2].Writable)
	require.Equal(t, "sessionkit: play for an hour", v.Instructions[3].Text)

	v, err = Decode(fx["moves-signed"], ps)
	require.NoError(t, err)
	require.False(t, v.Instructions[0].Accounts[2].Absent)
	require.True(t, v.Instructions[1].Accounts[2].Absent, "the game's own id stands for no session token")

	v, err = Decode(fx["revoke-bad-signature"], ps)
	require.NoError(t, err)
	require.Equal(t, SigInvalid, v.Signatures[0].Status)

	v, err = Decode(fx["gum-and-unknown"], ps)
	require.NoError(t, err)
	require.Contains(t, v.Instructions[0].DecodeError, "programidl: trailing data")
	require.NotNil(t, v.Instructions[0].Args)
	require.Equal(t, "", v.Instructions[1].Name)
	require.Nil(t, v.Instructions[1].Args)
	require.Contains(t, v.Instructions[1].DecodeError, "unknown instruction discriminator")
	require.Equal(t, "", v.Instructions[2].Program)

	v, err = Decode(fx["bare-message"], ps)
	require.NoError(t, err)
	require.Equal(t, "message", v.Kind)
	require.Equal(t, SigNone, v.Signatures[0].Status)

	v, err = Decode(fx["v0-lookups"], ps)
	require.NoError(t, err)
	require.Equal(t, "0", v.Version)
	require.Len(t, v.Lookups, 1)
	acc := v.Instructions[0].Accounts
	require.Equal(t, "player", acc[0].Name)
	require.NotEmpty(t, acc[0].LookupTable)
	require.Empty(t, acc[0].Pubkey)

	// Another deployment given with --program-id decodes as gpl_session.
	other := fixedKey(t, 4).PublicKey()
	ps2, err := Known(other)
	require.NoError(t, err)
	require.Equal(t, "gpl_session", ps2[other].Name)
	require.NotNil(t, ps2[other].IDL)
	ps3, err := Known(pda.GumProgramID)
	require.NoError(t, err)
	require.Equal(t, "gpl_session (Gum)", ps3[pda.GumProgramID].Name)
}

func TestDecodeText(t *testing.T) {
	raw := fixtures(t)["revoke-and-sweep"]
	ps := knownPrograms(t)
	b64 := base64.StdEncoding.EncodeToString(raw)
	wrapped := ""
	for i := 0; i < len(b64); i += 76 {
		wrapped += b64[i:min(i+76, len(b64))] + "\n"
	}
	for _, tc := range []struct {
		name, text string
		enc        Encoding
		want       Encoding
	}{
		{"base64", b64, Auto, Base64},
		{"base64 wrapped", wrapped, Auto, Base64},
		{"base64 unpadded", strings.TrimRight(b64, "="), Base64, Base64},
		{"base58", base58.Encode(raw), Auto, Base58},
		{"base58 explicit", "  " + base58.Encode(raw) + "\n", Base58, Base58},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := DecodeText(tc.text, tc.enc, ps)
			require.NoError(t, err)
			require.Equal(t, tc.want, v.Encoding)
		})
	}

	for _, tc := range []struct {
		name, text string
		enc        Encoding
		err        error
		msg        string
	}{
		{"empty", " \n", Auto, ErrEncoding, "txview: not a base64 or base58 transaction: no input"},
		{"too long", strings.Repeat("A", MaxText+4), Auto, ErrEncoding, ""},
		{"neither", "0OIl*", Auto, ErrEncoding,
			"txview: not a base64 or base58 transaction: not base64 (illegal base64 data at input byte 4), not base58 (invalid base58 digit ('0'))"},
		{"base58 as base64", base58.Encode(raw), Base64, nil, ""},
		{"base64 as base58", b64, Base58, ErrEncoding, ""},
		{"truncated", b64[:40], Auto, ErrMalformed, ""},
		{"bad encoding", b64, Encoding("hex"), ErrUnknownEncoding, `txview: unknown encoding "hex": auto, base64 or base58`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeText(tc.text, tc.enc, ps)
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
			require.True(t, strings.HasPrefix(err.Error(), "txview: "), err.Error())
			if tc.msg != "" {
				require.EqualError(t, err, tc.msg)
			}
		})
	}

	for s, want := range map[string]Encoding{"auto": Auto, "BASE64": Base64, "base58": Base58} {
		e, err := ParseEncoding(s)
		require.NoError(t, err)
		require.Equal(t, want, e)
	}
	_, err := ParseEncoding("hex")
	require.ErrorIs(t, err, ErrUnknownEncoding)
}

func TestMalformed(t *testing.T) {
	msg := fixtures(t)["bare-message"]
	tx := fixtures(t)["moves-signed"]
	patch := func(b []byte, at int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[at:], v)
		return b
	}
	// In the bare message: header at 0, key count at 3, keys from 4.
	nKeys := int(msg[3])
	ixAt := 4 + 32*nKeys + 32 // instruction count
	for _, tc := range []struct {
		name string
		raw  []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrMalformed, "txview: malformed transaction: signatures length: need 1 byte at byte 0, 0 left"},
		{"signatures missing", tx[:100], ErrMalformed, ""},
		{"signature count mismatch", append([]byte{1}, append(make([]byte, 64), msg...)...), ErrMalformed,
			"txview: malformed transaction: 1 signatures for 2 required signers"},
		{"trailing bytes", append(bytes.Clone(tx), 0), ErrMalformed, ""},
		{"no fee payer", patch(msg, 0, 0), ErrMalformed, ""},
		{"read-only fee payer", patch(msg, 1, 2), ErrMalformed, ""},
		{"read-only past the keys", patch(msg, 2, byte(nKeys)), ErrMalformed, ""},
		{"program index out of range", patch(msg, ixAt+1, byte(nKeys)), ErrMalformed, ""},
		{"account index out of range", patch(msg, ixAt+3, byte(nKeys)), ErrMalformed, ""},
		// A first byte with the high bit set is a version prefix, so lengths are tested on
		// the key count of a bare message.
		{"non-canonical length", []byte{1, 0, 0, 0x80, 0x00}, ErrMalformed,
			"txview: malformed transaction: account keys length: non-canonical encoding at byte 4"},
		{"length over 0xffff", []byte{1, 0, 0, 0xff, 0xff, 0x04}, ErrMalformed,
			"txview: malformed transaction: account keys length: over 0xffff at byte 5"},
		{"length over 3 bytes", []byte{1, 0, 0, 0xff, 0xff, 0x83}, ErrMalformed, ""},
		{"128 signatures read as a v0 message", append([]byte{0x80, 0x01}, make([]byte, 64*128)...), ErrMalformed,
			"txview: malformed transaction: 8155 trailing bytes after the message"},
		{"signatures with a bad message", append(bytes.Clone(tx[:1+64*int(tx[0])]), 1, 0, 0, 0x80, 0), ErrMalformed,
			"txview: malformed transaction: account keys length: non-canonical encoding at byte 133"},
		{"v1 message", append([]byte{0x81}, msg...), ErrUnsupportedVersion, "txview: unsupported message version: v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Decode(tc.raw, knownPrograms(t))
			require.ErrorIs(t, err, tc.err)
			require.Nil(t, v)
			if tc.msg != "" {
				require.EqualError(t, err, tc.msg)
			}
		})
	}
}

// FuzzDecode: any bytes decode to a view that renders, or fail with a typed error; the
// decoder never panics.
func FuzzDecode(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(raw)
	}
	ps := knownPrograms(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(raw, ps)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if v.Size != len(raw) || len(v.Signatures) != v.Header.RequiredSignatures || len(v.AccountKeys) == 0 {
			t.Fatalf("inconsistent view of %d bytes: %+v", len(raw), v)
		}
		if err := v.WriteText(&bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(base64.StdEncoding.EncodeToString(raw))
		f.Add(base58.Encode(raw))
	}
	f.Add("0OIl")
	ps := knownPrograms(f)
	f.Fuzz(func(t *testing.T, text string) {
		_, err := DecodeText(text, Auto, ps)
		if err != nil && !errors.Is(err, ErrEncoding) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedVersion) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
