package programidl_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	computebudget "github.com/gagliardetto/solana-go/programs/compute-budget"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/programs/token"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

var update = flag.Bool("update", false, "rewrite testdata/decode/*.golden with the current output")

// key is a fixed public key: 32 bytes of n.
func key(n byte) solana.PublicKey { return solana.PublicKeyFromBytes(bytes.Repeat([]byte{n}, 32)) }

func mustIDL(t testing.TB, load func() (*programidl.IDL, error)) *programidl.IDL {
	t.Helper()
	idl, err := load()
	require.NoError(t, err)
	return idl
}

// must unwraps a builder's result; the table is built before any subtest runs.
func must(ix solana.Instruction, err error) solana.Instruction {
	if err != nil {
		panic(err)
	}
	return ix
}

func keysOf(ix solana.Instruction) []solana.PublicKey {
	var keys []solana.PublicKey
	for _, m := range ix.Accounts() {
		keys = append(keys, m.PublicKey)
	}
	return keys
}

// render is the golden form of a decode: the bytes decoded, then what they decoded to.
func render(idl *programidl.IDL, data []byte, d *programidl.DecodedInstruction, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "idl: %s %s\ndata: %x\n", idl.Name, idl.Version, data)
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	if d == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "instruction: %s\n", d.Name())
	for _, a := range d.Args {
		fmt.Fprintf(&b, "  arg %s: %s = %s\n", a.Name, a.Type, programidl.FormatValue(a.Value))
	}
	js, _ := json.Marshal(d.Args)
	fmt.Fprintf(&b, "  args json: %s\n", js)
	for i, a := range d.Accounts {
		name := a.Name
		if name == "" {
			name = "(remaining)"
		}
		fmt.Fprintf(&b, "  account %d %s: %s\n", i, name, a.Key)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "decode", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run the test with -update to create it")
	require.Equal(t, string(want), got, "output differs from %s (rerun with -update if the change is intended)", path)
}

// TestDecodeBuilders decodes what the client's and the example game's builders produce,
// through the IDLs alone. The golden files pin both the bytes and their reading.
func TestDecodeBuilders(t *testing.T) {
	session, gum, game := mustIDL(t, programidl.Session), mustIDL(t, programidl.GumSession), mustIDL(t, programidl.ExampleGame)
	g := examplegame.Game{ID: examplegame.ProgramID}
	signer, authority, payer := key(2), key(1), key(3)
	player, err := g.Player(authority)
	require.NoError(t, err)
	const now = 1_900_000_000

	for _, tc := range []struct {
		name     string
		idl      *programidl.IDL
		ix       solana.Instruction
		wantName string
		wantArgs []string
		wantErr  error
	}{
		{"create_session-defaults", session, must(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer, Authority: authority, TargetProgram: g.ID}, client.CreateArgs{})),
			"create_session", []string{"None", "None", "None"}, nil},
		{"create_session-all-args", session, must(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer, Authority: authority, TargetProgram: g.ID}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(25_000_000)), ValidUntil: new(int64(now + 3600)), ClusterTime: now})),
			"create_session", []string{"true", "1900003600", "25000000"}, nil},
		{"create_session_v2", session, must(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
			SessionSigner: signer, FeePayer: payer, Authority: authority, TargetProgram: g.ID}, client.CreateArgs{TopUp: new(false), ValidFor: 600e9, ClusterTime: now})),
			"create_session_v2", []string{"false", "1900000600", "None"}, nil},
		{"create_session_with_payer", session, must(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
			SessionSigner: signer, Payer: payer, Authority: authority, TargetProgram: g.ID}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(1))})),
			"create_session_with_payer", []string{"true", "None", "1"}, nil},
		{"revoke_session", session, must(client.NewRevokeSession(client.RevokeSessionAccounts{
			SessionToken: key(9), Authority: authority}, client.RevokeArgs{})),
			"revoke_session", nil, nil},
		{"revoke_session_v2", session, must(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{
			SessionToken: key(9), FeePayer: payer, Authority: authority}, client.RevokeArgs{AuthorityUnsigned: !false})),
			"revoke_session_v2", nil, nil},
		// The builders always send the lamports option, which the Gum-era program does not
		// read: Anchor ignores the extra byte, and the decoder says it is there.
		{"gum-create_session", gum, must(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer, Authority: authority, TargetProgram: g.ID}, client.CreateArgs{ProgramID: pda.GumProgramID, TopUp: new(true)})),
			"create_session", []string{"true", "None"}, programidl.ErrTrailingData},
		{"gum-revoke_session", gum, must(client.NewRevokeSession(client.RevokeSessionAccounts{
			SessionToken: key(9), Authority: authority}, client.RevokeArgs{ProgramID: pda.GumProgramID})),
			"revoke_session", nil, nil},
		{"game-init_player", game, must(g.InitPlayer(authority)), "init_player", nil, nil},
		{"game-move_player", game, g.Move(player, signer, key(9), examplegame.Left), "move_player", []string{"Left"}, nil},
		{"game-move_player-as-owner", game, g.MoveAsOwner(player, authority, examplegame.Right), "move_player", []string{"Right"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.ix.Data()
			require.NoError(t, err)
			keys := keysOf(tc.ix)
			d, decErr := tc.idl.DecodeInstruction(data, keys)
			if tc.wantErr != nil {
				require.ErrorIs(t, decErr, tc.wantErr)
			} else {
				require.NoError(t, decErr)
			}
			require.NotNil(t, d)
			require.Equal(t, tc.wantName, d.Name())
			var args []string
			for _, a := range d.Args {
				args = append(args, programidl.FormatValue(a.Value))
			}
			require.Equal(t, tc.wantArgs, args)
			require.Len(t, d.Accounts, len(keys))
			for i, a := range d.Accounts {
				require.Equal(t, keys[i], a.Key)
				require.Equal(t, d.Instruction.Accounts[i].Name, a.Name)
				require.Same(t, &d.Instruction.Accounts[i], a.Def)
			}
			// The lookup a policy makes: name to discriminator and back.
			byName, err := tc.idl.Instruction(tc.wantName)
			require.NoError(t, err)
			require.Same(t, byName, d.Instruction)
			require.True(t, bytes.HasPrefix(data, byName.Discriminator))
			checkGolden(t, tc.name, render(tc.idl, data, d, decErr))
		})
	}
}

// TestDecodeStock decodes instructions of the stock programs built by solana-go's own
// encoders, an independent reading of their layouts.
func TestDecodeStock(t *testing.T) {
	sys, budget, tok := mustIDL(t, programidl.System), mustIDL(t, programidl.ComputeBudget), mustIDL(t, programidl.Token)
	ata := mustIDL(t, programidl.AssociatedToken)
	for _, tc := range []struct {
		idl      *programidl.IDL
		ix       solana.Instruction
		wantName string
		wantArgs string
		accounts []string
	}{
		{sys, system.NewTransferInstruction(1_500, key(1), key(2)).Build(), "transfer", `{"lamports":1500}`, []string{"from", "to"}},
		{sys, system.NewCreateAccountInstruction(890_880, 0, key(7), key(1), key(2)).Build(), "create_account",
			`{"lamports":890880,"space":0,"owner":"` + key(7).String() + `"}`, []string{"funding_account", "new_account"}},
		{sys, system.NewAssignInstruction(key(7), key(1)).Build(), "assign", `{"owner":"` + key(7).String() + `"}`, []string{"assigned_account"}},
		{sys, system.NewAllocateInstruction(165, key(1)).Build(), "allocate", `{"space":165}`, []string{"account"}},
		{budget, computebudget.NewSetComputeUnitLimitInstruction(200_000).Build(), "set_compute_unit_limit", `{"units":200000}`, nil},
		{budget, computebudget.NewSetComputeUnitPriceInstruction(5_000).Build(), "set_compute_unit_price", `{"micro_lamports":5000}`, nil},
		{budget, computebudget.NewRequestHeapFrameInstruction(256 * 1024).Build(), "request_heap_frame", `{"bytes":262144}`, nil},
		{tok, token.NewTransferInstruction(42, key(1), key(2), key(3), nil).Build(), "transfer", `{"amount":42}`,
			[]string{"source", "destination", "authority"}},
		{tok, token.NewTransferCheckedInstruction(42, 6, key(1), key(4), key(2), key(3), []solana.PublicKey{key(5)}).Build(),
			"transfer_checked", `{"amount":42,"decimals":6}`, []string{"source", "mint", "destination", "authority", ""}},
		{tok, token.NewCloseAccountInstruction(key(1), key(2), key(3), nil).Build(), "close_account", `{}`,
			[]string{"account", "destination", "authority"}},
		{tok, token.NewInitializeMint2Instruction(9, key(3), key(4), key(1)).Build(), "initialize_mint2",
			`{"decimals":9,"mint_authority":"` + key(3).String() + `","freeze_authority":"` + key(4).String() + `"}`, []string{"mint"}},
		{ata, rawInstruction(solana.SPLAssociatedTokenAccountProgramID, []byte{1}, key(1), key(2), key(3), key(4),
			solana.SystemProgramID, solana.TokenProgramID), "create_idempotent", `{}`,
			[]string{"payer", "associated_token", "wallet", "mint", "system_program", "token_program"}},
	} {
		t.Run(tc.wantName, func(t *testing.T) {
			pid, ok := tc.idl.ProgramID()
			require.True(t, ok)
			if tc.idl.Name != "spl_token" {
				require.Equal(t, pid, tc.ix.ProgramID())
			}
			data, err := tc.ix.Data()
			require.NoError(t, err)
			d, err := tc.idl.DecodeInstruction(data, keysOf(tc.ix))
			require.NoError(t, err)
			require.Equal(t, tc.wantName, d.Name())
			js, err := json.Marshal(d.Args)
			require.NoError(t, err)
			require.JSONEq(t, tc.wantArgs, string(js))
			var names []string
			for _, a := range d.Accounts {
				names = append(names, a.Name)
			}
			require.Equal(t, tc.accounts, names)
		})
	}
}

func rawInstruction(program solana.PublicKey, data []byte, keys ...solana.PublicKey) solana.Instruction {
	metas := make(solana.AccountMetaSlice, len(keys))
	for i, k := range keys {
		metas[i] = solana.Meta(k)
	}
	return solana.NewInstruction(program, metas, data)
}

func genericIDL(t testing.TB) *programidl.IDL {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "generic_spec.json"))
	require.NoError(t, err)
	idl, err := programidl.Parse(b)
	require.NoError(t, err)
	return idl
}

// playData is the generic IDL's play instruction: round 7, moves [Up, Jump{height: 3}],
// a 3×3 grid, memo Some("hi"), fee None (coption: tag then the u64's bytes anyway).
func playData() []byte {
	d := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	d = append(d, 7, 0, 0, 0)
	d = append(d, 2, 0, 0, 0, 0, 2, 3)
	d = append(d, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	d = append(d, 1, 2, 0, 0, 0, 'h', 'i')
	d = append(d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	return d
}

func TestDecodeGeneric(t *testing.T) {
	idl := genericIDL(t)
	keys := []solana.PublicKey{key(1), key(2), key(3), key(4), key(5), key(6)}
	d, err := idl.DecodeInstruction(playData(), keys)
	require.NoError(t, err)
	require.Equal(t, "play", d.Name())
	var got []string
	for _, a := range d.Args {
		got = append(got, a.Name+"="+programidl.FormatValue(a.Value))
	}
	require.Equal(t, []string{"round=7", "moves=[Up, Jump{height: 3}]", "grid=[0x010203, 0x040506, 0x070809]",
		`memo="hi"`, "fee=None"}, got)
	js, err := json.Marshal(d.Args)
	require.NoError(t, err)
	require.Equal(t, `{"round":7,"moves":["Up",{"Jump":{"height":3}}],"grid":["010203","040506","070809"],"memo":"hi","fee":null}`, string(js))
	require.Equal(t, "common.system_program", d.Accounts[4].Name)
	require.Equal(t, "", d.Accounts[5].Name, "remaining account")
	require.Nil(t, d.Accounts[5].Def)
	round, ok := d.Args.Get("round")
	require.True(t, ok)
	require.Equal(t, uint64(7), round)
	_, ok = d.Args.Get("nope")
	require.False(t, ok)

	// coption Some; the optional session_token and the group after it may be left out
	// only when trailing: here the group is required.
	data := playData()
	copy(data[len(data)-12:], []byte{1, 0, 0, 0, 0x10, 0x27, 0, 0, 0, 0, 0, 0})
	d, err = idl.DecodeInstruction(data, keys[:5])
	require.NoError(t, err)
	fee, _ := d.Args.Get("fee")
	require.Equal(t, uint64(10_000), fee)
	_, err = idl.DecodeInstruction(data, keys[:2])
	require.ErrorIs(t, err, programidl.ErrMissingAccount)
	require.EqualError(t, err, "programidl: missing account: play: 2 accounts, common.clock is account 3")
}

// TestDecodeValues covers every primitive and the JSON and text forms of awkward values.
func TestDecodeValues(t *testing.T) {
	idl, err := programidl.Parse([]byte(`{"address":"11111111111111111111111111111111",
		"metadata":{"name":"values","version":"0","spec":"0.1.0"},
		"instructions":[{"name":"all","discriminator":[9],"accounts":[],"args":[
			{"name":"a","type":"i8"},{"name":"b","type":"i16"},{"name":"c","type":"i32"},{"name":"d","type":"i64"},
			{"name":"e","type":"u16"},{"name":"f","type":"u128"},{"name":"g","type":"i128"},{"name":"h","type":"f32"},
			{"name":"i","type":"f64"},{"name":"j","type":"bytes"},{"name":"k","type":"string"},
			{"name":"l","type":{"vec":"bool"}},{"name":"m","type":{"defined":{"name":"Pair"}}},
			{"name":"n","type":{"defined":{"name":"Shape"}}},{"name":"o","type":"u256"}]}],
		"types":[{"name":"Pair","type":{"kind":"struct","fields":["u8","pubkey"]}},
			{"name":"Shape","type":{"kind":"enum","variants":[{"name":"Dot"},{"name":"Line","fields":["u8","u8"]}]}}]}`))
	require.NoError(t, err)
	d := []byte{9, 0xff, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x34, 0x12}
	d = append(d, bytes.Repeat([]byte{0xff}, 16)...)                          // u128 max
	d = append(d, append([]byte{0xfe}, bytes.Repeat([]byte{0xff}, 15)...)...) // i128 -2
	d = append(d, 0, 0, 0xc0, 0x7f)                                           // f32 NaN
	d = append(d, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f)                               // f64 +Inf
	d = append(d, 2, 0, 0, 0, 0xab, 0xcd, 3, 0, 0, 0, '<', '"', '>')
	d = append(d, 2, 0, 0, 0, 1, 0, 5)
	d = append(d, key(4).Bytes()...)
	d = append(d, 1, 3, 4)
	d = append(d, append([]byte{1}, make([]byte, 31)...)...)
	dec, err := idl.DecodeInstruction(d, nil)
	require.NoError(t, err)
	var text []string
	for _, a := range dec.Args {
		text = append(text, programidl.FormatValue(a.Value))
	}
	require.Equal(t, []string{"-1", "-2", "-3", "-4", "4660", "340282366920938463463374607431768211455", "-2", "NaN", "+Inf",
		"0xabcd", `"<\">"`, "[true, false]", "(5, " + key(4).String() + ")", "Line(3, 4)", "1"}, text)
	f, _ := dec.Args.Get("f")
	want, _ := new(big.Int).SetString("340282366920938463463374607431768211455", 10)
	require.Equal(t, want, f)
	js, err := json.Marshal(dec.Args)
	require.NoError(t, err)
	require.Equal(t, `{"a":-1,"b":-2,"c":-3,"d":-4,"e":4660,"f":340282366920938463463374607431768211455,"g":-2,`+
		`"h":"NaN","i":"+Inf","j":"abcd","k":"\u003c\"\u003e","l":[true,false],"m":[5,"`+key(4).String()+`"],`+
		`"n":{"Line":[3,4]},"o":1}`, string(js), "json.Marshal escapes HTML itself")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(dec.Args))
	require.Contains(t, buf.String(), `"k":"<\">"`)
}

func TestInstructionOf(t *testing.T) {
	for _, load := range []func() (*programidl.IDL, error){programidl.Session, programidl.GumSession, programidl.ExampleGame,
		programidl.System, programidl.ComputeBudget, programidl.Token, programidl.AssociatedToken} {
		idl := mustIDL(t, load)
		for i := range idl.Instructions {
			ix := &idl.Instructions[i]
			byName, err := idl.Instruction(ix.Name)
			require.NoError(t, err)
			got, err := idl.InstructionOf(append(bytes.Clone(byName.Discriminator), 0xee))
			require.NoError(t, err, "%s.%s", idl.Name, ix.Name)
			require.Same(t, ix, got, "%s.%s: discriminators are unique", idl.Name, ix.Name)
		}
	}

	// With custom discriminators one may prefix another: the longest match wins.
	idl, err := programidl.Parse([]byte(`{"metadata":{"name":"p","version":"0","spec":"0.1.0"},"instructions":[
		{"name":"short","discriminator":[1]},{"name":"long","discriminator":[1,2]}]}`))
	require.NoError(t, err)
	for data, want := range map[string]string{"01": "short", "0103": "short", "0102": "long", "010203": "long"} {
		b, _ := hex.DecodeString(data)
		ix, err := idl.InstructionOf(b)
		require.NoError(t, err)
		require.Equal(t, want, ix.Name, data)
	}
}

func TestDecodeErrors(t *testing.T) {
	session, game, generic := mustIDL(t, programidl.Session), mustIDL(t, programidl.ExampleGame), genericIDL(t)
	create := []byte{242, 193, 143, 179, 150, 25, 122, 227}
	recursive, err := programidl.Parse([]byte(`{"metadata":{"name":"r","version":"0","spec":"0.1.0"},
		"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"n","type":{"defined":{"name":"Node"}}}]},
			{"name":"b","discriminator":[2],"args":[{"name":"x","type":{"defined":{"name":"Ghost"}}}]},
			{"name":"c","discriminator":[3],"args":[{"name":"v","type":{"vec":{"defined":{"name":"Unit"}}}}]}],
		"types":[{"name":"Node","type":{"kind":"struct","fields":[{"name":"next","type":{"defined":{"name":"Node"}}}]}},
			{"name":"Unit","type":{"kind":"struct","fields":[]}}]}`))
	require.NoError(t, err)
	long := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}, 0xff, 0xff, 0xff, 0xff)
	for _, tc := range []struct {
		name   string
		idl    *programidl.IDL
		data   []byte
		err    error
		offset int
		msg    string
	}{
		{"empty", session, nil, programidl.ErrShortData, 0,
			"programidl: data too short at byte 0: the data ends inside a discriminator, after 0 bytes"},
		{"short discriminator", session, create[:5], programidl.ErrShortData, 0, ""},
		{"unknown discriminator", session, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, programidl.ErrUnknownDiscriminator, 0,
			"programidl: unknown instruction discriminator at byte 0: data starts 0102030405060708…"},
		{"no arguments", session, create, programidl.ErrShortData, 8,
			"programidl: data too short: create_session.top_up at byte 8: need 1 byte, 0 left"},
		{"bad option tag", session, append(bytes.Clone(create), 2, 0, 0), programidl.ErrInvalidOptionTag, 8,
			"programidl: invalid option tag: create_session.top_up at byte 8: tag 2"},
		{"bad bool", session, append(bytes.Clone(create), 1, 7, 0, 0), programidl.ErrInvalidBool, 9,
			"programidl: invalid bool: create_session.top_up at byte 9: byte 7"},
		{"short i64", session, append(bytes.Clone(create), 0, 1, 1, 2, 3), programidl.ErrShortData, 10, ""},
		{"trailing", session, append(bytes.Clone(create), 0, 0, 0, 0xaa), programidl.ErrTrailingData, 11,
			"programidl: trailing data: create_session at byte 11: 1 byte after the arguments"},
		{"bad enum variant", game, []byte{17, 58, 68, 221, 186, 117, 140, 231, 4}, programidl.ErrInvalidEnumVariant, 8,
			"programidl: invalid enum variant: move_player.direction at byte 8: Direction has 4 variants, tag 4"},
		{"vec longer than data", generic, long, programidl.ErrShortData, 16, ""},
		{"nested path", generic, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2}, programidl.ErrShortData, 18,
			"programidl: data too short: play.moves[1].height at byte 18: need 1 byte, 0 left"},
		{"invalid utf-8", generic, invalidMemo(), programidl.ErrInvalidString, 29, ""},
		{"bad coption tag", generic, append(playData()[:len(playData())-12], 2, 0, 0, 0), programidl.ErrInvalidOptionTag, 35, ""},
		{"recursive type", recursive, []byte{1}, programidl.ErrTooLarge, 1, ""},
		{"undefined type", recursive, []byte{2}, programidl.ErrUndefinedType, 1,
			`programidl: undefined type: b.x at byte 1: "Ghost"`},
		{"zero-sized elements", recursive, []byte{3, 0xff, 0xff, 0xff, 0xff}, programidl.ErrTooLarge, 5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.idl.DecodeInstruction(tc.data, make([]solana.PublicKey, 6))
			require.ErrorIs(t, err, tc.err)
			var de *programidl.DecodeError
			require.True(t, errors.As(err, &de))
			require.Equal(t, tc.offset, de.Offset)
			require.True(t, strings.HasPrefix(err.Error(), "programidl: "), err.Error())
			if tc.msg != "" {
				require.EqualError(t, err, tc.msg)
			}
			if tc.err == programidl.ErrTrailingData {
				require.NotNil(t, d)
			} else {
				require.Nil(t, d)
			}
		})
	}
}

// invalidMemo is playData with the memo's two bytes replaced by a lone continuation byte.
func invalidMemo() []byte {
	d := playData()
	d[33], d[34] = 0x80, 'i'
	return d
}

// FuzzDecodeInstruction: whatever the data and however many accounts, decoding ends in a
// decoded instruction or a *DecodeError with a sentinel, never a panic.
func FuzzDecodeInstruction(f *testing.F) {
	idls := []*programidl.IDL{mustIDL(f, programidl.Session), mustIDL(f, programidl.GumSession),
		mustIDL(f, programidl.ExampleGame), genericIDL(f), mustIDL(f, programidl.System),
		mustIDL(f, programidl.ComputeBudget), mustIDL(f, programidl.Token), mustIDL(f, programidl.AssociatedToken)}
	sentinels := []error{programidl.ErrUnknownDiscriminator, programidl.ErrShortData, programidl.ErrTrailingData,
		programidl.ErrInvalidBool, programidl.ErrInvalidOptionTag, programidl.ErrInvalidEnumVariant,
		programidl.ErrInvalidString, programidl.ErrTooLarge, programidl.ErrUndefinedType, programidl.ErrMissingAccount}
	for i, idl := range idls {
		for _, ix := range idl.Instructions {
			f.Add(uint8(i), uint8(len(ix.Accounts)), append(bytes.Clone(ix.Discriminator), 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0))
		}
	}
	f.Add(uint8(3), uint8(5), playData())
	f.Fuzz(func(t *testing.T, which, nAccounts uint8, data []byte) {
		idl := idls[int(which)%len(idls)]
		keys := make([]solana.PublicKey, nAccounts%16)
		d, err := idl.DecodeInstruction(data, keys)
		if err != nil {
			var de *programidl.DecodeError
			if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), "programidl: ") {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known || de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("error %v (offset %d of %d)", err, de.Offset, len(data))
			}
			if (d != nil) != errors.Is(err, programidl.ErrTrailingData) {
				t.Fatalf("result %v with error %v", d, err)
			}
		}
		if d == nil {
			return
		}
		if len(d.Accounts) != len(keys) || !bytes.HasPrefix(data, d.Instruction.Discriminator) {
			t.Fatalf("decoded %s with %d accounts from %d", d.Name(), len(d.Accounts), len(keys))
		}
		if _, err := json.Marshal(d.Args); err != nil {
			t.Fatalf("args do not marshal: %v", err)
		}
		for _, a := range d.Args {
			_ = programidl.FormatValue(a.Value)
		}
	})
}
