package programidl

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The md5 sums the wire reference (§0, S3 and S5) gives for the upstream files.
func TestEmbeddedFilesAreUpstreamCopies(t *testing.T) {
	sum := md5.Sum(SessionJSON())
	require.Equal(t, "5330edbdf49f5c15a17142af3b20a4b3", hex.EncodeToString(sum[:]))
	sum = md5.Sum(GumSessionJSON())
	require.Equal(t, "8c80abfe5c97a2dee0d17c5879a2576e", hex.EncodeToString(sum[:]))

	b := SessionJSON()
	b[0] = 'x'
	require.Equal(t, byte('{'), SessionJSON()[0], "SessionJSON must return a copy")
}

type wantAccount struct {
	name             string
	writable, signer bool
}

// Expected values transcribed from the wire reference §3 (not from the IDL file).
var wantInstructions = []struct {
	name     string
	disc     string
	accounts []wantAccount
	args     []string
}{
	{"create_session", "f2c18fb396197ae3", []wantAccount{
		{"session_token", true, false}, {"session_signer", true, true}, {"authority", true, true},
		{"target_program", false, false}, {"system_program", false, false},
	}, []string{"top_up:option<bool>", "valid_until:option<i64>", "lamports:option<u64>"}},
	{"create_session_v2", "dfe96c0741c2eb26", []wantAccount{
		{"session_token", true, false}, {"session_signer", true, true}, {"fee_payer", true, true},
		{"authority", false, true}, {"target_program", false, false}, {"system_program", false, false},
	}, []string{"top_up:option<bool>", "valid_until:option<i64>", "lamports:option<u64>"}},
	{"create_session_with_payer", "5785ab0c3c92befc", []wantAccount{
		{"session_token", true, false}, {"session_signer", true, true}, {"payer", true, true},
		{"authority", false, true}, {"target_program", false, false}, {"system_program", false, false},
	}, []string{"top_up:option<bool>", "valid_until:option<i64>", "lamports:option<u64>"}},
	{"revoke_session", "565cc678900207c2", []wantAccount{
		{"session_token", true, false}, {"authority", true, false}, {"system_program", false, false},
	}, nil},
	{"revoke_session_v2", "d33b7dbc2b9b0866", []wantAccount{
		{"session_token", true, false}, {"fee_payer", true, false}, {"authority", false, false},
		{"system_program", false, false},
	}, nil},
}

func argStrings(fs []Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name+":"+f.Type.String())
	}
	return out
}

func TestSessionIDL(t *testing.T) {
	idl, err := Session()
	require.NoError(t, err)
	require.Equal(t, FormatSpec, idl.Format)
	require.Equal(t, "KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5", idl.Address)
	pid, ok := idl.ProgramID()
	require.True(t, ok)
	require.Equal(t, idl.Address, pid.String())
	require.Equal(t, "gpl_session", idl.Name)
	require.Equal(t, "2.0.8", idl.Version)
	require.Equal(t, "0.1.0", idl.Spec)
	require.Len(t, idl.Instructions, 5)

	for _, want := range wantInstructions {
		ix, err := idl.Instruction(want.name)
		require.NoError(t, err, want.name)
		require.Equal(t, want.disc, hex.EncodeToString(ix.Discriminator), want.name)
		sum := sha256.Sum256([]byte("global:" + want.name))
		require.Equal(t, sum[:8], ix.Discriminator)
		require.Len(t, ix.Accounts, len(want.accounts), want.name)
		for i, wa := range want.accounts {
			got := ix.Accounts[i]
			require.Equal(t, wa, wantAccount{got.Name, got.Writable, got.Signer}, "%s account %d", want.name, i)
			require.False(t, got.Optional)
		}
		require.Equal(t, want.args, argStrings(ix.Args), want.name)
		sys, err := ix.Account("systemProgram")
		require.NoError(t, err)
		require.Equal(t, "11111111111111111111111111111111", sys.Address)
	}

	ix, _ := idl.Instruction("createSessionV2")
	require.Equal(t, "create_session_v2", ix.Name, "camelCase lookup")
	tok := ix.Accounts[0]
	require.NotNil(t, tok.PDA)
	require.Len(t, tok.PDA.Seeds, 4)
	require.Equal(t, Seed{Kind: SeedConst, Value: []byte("session_token_v2")}, tok.PDA.Seeds[0])
	require.Equal(t, Seed{Kind: SeedAccount, Path: "target_program"}, tok.PDA.Seeds[1])
	require.Equal(t, Seed{Kind: SeedAccount, Path: "session_signer"}, tok.PDA.Seeds[2])
	require.Equal(t, Seed{Kind: SeedAccount, Path: "authority"}, tok.PDA.Seeds[3])
	revoke, _ := idl.Instruction("revoke_session")
	require.Equal(t, Seed{Kind: SeedAccount, Path: "session_token.target_program", Account: "SessionToken"}, revoke.Accounts[0].PDA.Seeds[1])
	require.Equal(t, []string{"session_token"}, revoke.Accounts[1].Relations)

	for _, acc := range []struct {
		name, disc string
		fields     []string
		size       int
	}{
		{"SessionToken", "e904730e2e15010f", []string{"authority:pubkey", "target_program:pubkey", "session_signer:pubkey", "valid_until:i64"}, 104},
		{"SessionTokenV2", "b20355fe0d748029", []string{"authority:pubkey", "target_program:pubkey", "session_signer:pubkey", "fee_payer:pubkey", "valid_until:i64"}, 136},
	} {
		a, err := idl.Account(acc.name)
		require.NoError(t, err)
		require.Equal(t, acc.disc, hex.EncodeToString(a.Discriminator))
		require.Equal(t, acc.fields, argStrings(a.Fields))
		n, ok := idl.FixedSize(Type{Kind: KindDefined, Name: acc.name})
		require.True(t, ok)
		require.Equal(t, acc.size, n)
	}

	wantErrors := []Error{
		{6000, "ValidityTooLong", "Requested validity is too long"},
		{6001, "InvalidToken", "Invalid session token"},
		{6002, "NoToken", "No session token provided"},
		{6003, "InvalidAuthority", "Invalid authority"},
	}
	require.Equal(t, wantErrors, idl.Errors)
	e, err := idl.ErrorByCode(6003)
	require.NoError(t, err)
	require.Equal(t, "InvalidAuthority", e.Name)
}

func TestGumSessionIDLNormalised(t *testing.T) {
	gum, err := GumSession()
	require.NoError(t, err)
	cur, err := Session()
	require.NoError(t, err)
	require.Equal(t, FormatLegacy, gum.Format)
	require.Equal(t, "gpl_session", gum.Name)
	require.Equal(t, "0.2.0", gum.Version)
	require.Empty(t, gum.Address)
	_, ok := gum.ProgramID()
	require.False(t, ok)
	require.Len(t, gum.Instructions, 2)

	create, err := gum.Instruction("create_session")
	require.NoError(t, err)
	require.Equal(t, "f2c18fb396197ae3", hex.EncodeToString(create.Discriminator))
	require.Equal(t, []string{"top_up:option<bool>", "valid_until:option<i64>"}, argStrings(create.Args))
	// Same wire shape as the current IDL, minus the lamports argument.
	curCreate, _ := cur.Instruction("create_session")
	for i := range create.Accounts {
		g, c := create.Accounts[i], curCreate.Accounts[i]
		require.Equal(t, wantAccount{c.Name, c.Writable, c.Signer}, wantAccount{g.Name, g.Writable, g.Signer})
	}
	require.Equal(t, []byte("session_token"), create.Accounts[0].PDA.Seeds[0].Value)

	revoke, err := gum.Instruction("revokeSession")
	require.NoError(t, err)
	require.Equal(t, "565cc678900207c2", hex.EncodeToString(revoke.Discriminator))
	require.Equal(t, "session_token.target_program", revoke.Accounts[0].PDA.Seeds[1].Path)

	tok, err := gum.Account("SessionToken")
	require.NoError(t, err)
	require.Equal(t, "e904730e2e15010f", hex.EncodeToString(tok.Discriminator))
	curTok, _ := cur.Account("SessionToken")
	require.Equal(t, curTok.Fields, tok.Fields)
	require.Len(t, gum.Errors, 3)
	_, err = gum.ErrorByCode(6003)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestParseGenericSpec(t *testing.T) {
	idl := parseFile(t, "generic_spec.json")
	require.Equal(t, FormatSpec, idl.Format)
	require.Equal(t, "game", idl.Name)
	ix, err := idl.Instruction("play")
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}, ix.Discriminator)

	var names []string
	for _, a := range ix.Accounts {
		names = append(names, a.Name)
	}
	require.Equal(t, []string{"player", "signer", "session_token", "common.clock", "common.system_program"}, names)
	require.True(t, ix.Accounts[2].Optional)
	require.True(t, ix.Accounts[1].Signer)
	require.Equal(t, "SysvarC1ock11111111111111111111111111111111", ix.Accounts[3].Address)
	pda := ix.Accounts[0].PDA
	require.Equal(t, []Seed{
		{Kind: SeedConst, Value: []byte("player")},
		{Kind: SeedArg, Path: "round"},
		{Kind: SeedAccount, Path: "owner.key", Account: "Config"},
	}, pda.Seeds)
	require.Equal(t, &Seed{Kind: SeedConst, Value: []byte{9, 9}}, pda.Program)

	require.Equal(t, []string{"round:u32", "moves:vec<Move>", "grid:[[u8; 3]; 3]", "memo:option<string>", "fee:coption<u64>"}, argStrings(ix.Args))

	player, err := idl.Account("Player")
	require.NoError(t, err)
	require.Equal(t, []string{"owner:pubkey", "score:u64", "last:Move", "pos:Point", "hp:Health"}, argStrings(player.Fields))
	// Move's variants carry payloads of different sizes (0 and 1 byte).
	_, ok := idl.FixedSize(Type{Kind: KindDefined, Name: "Player"})
	require.False(t, ok)

	for _, tt := range []struct {
		typ  Type
		size int
		ok   bool
	}{
		{Type{Kind: KindDefined, Name: "Point"}, 4, true},
		{Type{Kind: KindDefined, Name: "Health"}, 2, true},
		{Type{Kind: KindDefined, Name: "Dir"}, 1, true},
		{Type{Kind: KindDefined, Name: "Move"}, 0, false},
		{Type{Kind: KindDefined, Name: "Nope"}, 0, false},
		{ix.Args[2].Type, 9, true},
		{ix.Args[1].Type, 0, false},
		{ix.Args[3].Type, 0, false},
		{Type{Kind: KindPrimitive, Name: "u128"}, 16, true},
		{Type{Kind: KindPrimitive, Name: "string"}, 0, false},
	} {
		n, ok := idl.FixedSize(tt.typ)
		require.Equal(t, tt.ok, ok, tt.typ.String())
		require.Equal(t, tt.size, n, tt.typ.String())
	}

	point, err := idl.Type("Point")
	require.NoError(t, err)
	require.Equal(t, []Field{{Type: Type{Kind: KindPrimitive, Name: "i16"}}, {Type: Type{Kind: KindPrimitive, Name: "i16"}}}, point.Fields)
	mv, _ := idl.Type("Move")
	require.Equal(t, "Jump", mv.Variants[2].Name)
	require.Equal(t, "height:u8", argStrings(mv.Variants[2].Fields)[0])
	require.Equal(t, []Error{{Code: 6000, Name: "Cheater"}}, idl.Errors)
}

func TestParseGenericLegacy(t *testing.T) {
	idl := parseFile(t, "generic_legacy.json")
	require.Equal(t, FormatLegacy, idl.Format)
	require.Equal(t, "3ao63wcSRNa76bncC2M3KupNtXBFiDyNbgK52VG7dLaE", idl.Address)
	ix, err := idl.Instruction("initPlayerV2")
	require.NoError(t, err)
	require.Equal(t, "init_player_v2", ix.Name)
	require.Equal(t, "89471d24f23e3f1d", hex.EncodeToString(ix.Discriminator))
	require.Equal(t, []string{"start_score:u64", "home_base:pubkey", "tags:vec<Tag>"}, argStrings(ix.Args))
	var names []string
	for _, a := range ix.Accounts {
		names = append(names, a.Name)
	}
	require.Equal(t, []string{"player_account", "authority", "maybe", "group.system_program"}, names)
	require.True(t, ix.Accounts[0].Writable)
	require.True(t, ix.Accounts[1].Signer)
	require.True(t, ix.Accounts[2].Optional)
	require.Equal(t, []Seed{
		{Kind: SeedConst, Value: []byte("player")},
		{Kind: SeedConst, Value: make([]byte, 32)},
		{Kind: SeedAccount, Path: "player_account.owner_key", Account: "Player"},
	}, ix.Accounts[0].PDA.Seeds)

	player, err := idl.Account("Player")
	require.NoError(t, err)
	require.Equal(t, []byte{205, 222, 112, 7, 165, 155, 206, 218}, player.Discriminator)
	require.Equal(t, []string{"owner_key:pubkey", "last_tag:Tag"}, argStrings(player.Fields))
	n, ok := idl.FixedSize(Type{Kind: KindDefined, Name: "Player"})
	require.True(t, ok)
	require.Equal(t, 33, n)
}

func parseFile(t *testing.T, name string) *IDL {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	idl, err := Parse(b)
	require.NoError(t, err)
	return idl
}

func TestParseErrors(t *testing.T) {
	const spec = `"metadata":{"spec":"0.1.0","name":"x"}`
	tests := []struct{ name, doc string }{
		{"not json", `{`},
		{"trailing", `{"name":"x"} {}`},
		{"no dialect", `{"instructions":[]}`},
		{"bad address", `{"address":"nope",` + spec + `}`},
		{"no discriminator", `{` + spec + `,"instructions":[{"name":"a","accounts":[],"args":[]}]}`},
		{"discriminator as base64", `{` + spec + `,"instructions":[{"name":"a","discriminator":"AQID"}]}`},
		{"discriminator byte > 255", `{` + spec + `,"instructions":[{"name":"a","discriminator":[256]}]}`},
		{"unknown type", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":"u7"}]}]}`},
		{"generic type", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":{"generic":"T"}}]}]}`},
		{"generic defined", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":{"defined":{"name":"W","generics":[{"kind":"type","type":"u8"}]}}}]}]}`},
		{"generic array length", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":{"array":["u8",{"generic":"N"}]}}]}]}`},
		{"two-key type", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":{"vec":"u8","option":"u8"}}]}]}`},
		{"unnamed arg", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"type":"u8"}]}]}`},
		{"bad seed kind", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"accounts":[{"name":"p","pda":{"seeds":[{"kind":"magic"}]}}]}]}`},
		{"string const seed in spec", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"accounts":[{"name":"p","pda":{"seeds":[{"kind":"const","value":"abc"}]}}]}]}`},
		{"account path missing", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"accounts":[{"name":"p","pda":{"seeds":[{"kind":"account"}]}}]}]}`},
		{"bad fixed address", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"accounts":[{"name":"p","address":"0OIl"}]}]}`},
		{"account without type", `{` + spec + `,"accounts":[{"name":"A","discriminator":[1]}]}`},
		{"account without discriminator", `{` + spec + `,"accounts":[{"name":"A"}],"types":[{"name":"A","type":{"kind":"struct","fields":[]}}]}`},
		{"enum account", `{` + spec + `,"accounts":[{"name":"A","discriminator":[1]}],"types":[{"name":"A","type":{"kind":"enum","variants":[]}}]}`},
		{"unknown type kind", `{` + spec + `,"types":[{"name":"A","type":{"kind":"union"}}]}`},
		{"unnamed error", `{` + spec + `,"errors":[{"code":1}]}`},
		{"deep nesting", `{` + spec + `,"instructions":[{"name":"a","discriminator":[1],"args":[{"name":"x","type":` + nest(40) + `}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idl, err := Parse([]byte(tt.doc))
			require.ErrorIs(t, err, ErrInvalidIDL)
			require.Nil(t, idl)
		})
	}
}

func nest(n int) string {
	s := `"u8"`
	for range n {
		s = `{"vec":` + s + `}`
	}
	return s
}

func TestNotFound(t *testing.T) {
	idl, err := Session()
	require.NoError(t, err)
	_, err = idl.Instruction("close_session")
	require.ErrorIs(t, err, ErrNotFound)
	var nf *NotFoundError
	require.True(t, errors.As(err, &nf))
	require.Equal(t, NotFoundError{Kind: "instruction", Name: "close_session"}, *nf)
	require.EqualError(t, err, `programidl: no instruction named "close_session"`)

	_, err = idl.Account("SessionTokenV3")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = idl.Type("Nope")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = idl.ErrorByCode(42)
	require.EqualError(t, err, `programidl: no error named "42"`)
	ix, _ := idl.Instruction("revoke_session")
	_, err = ix.Account("payer")
	require.EqualError(t, err, `programidl: no account named "revoke_session.payer"`)
}

func TestToSnake(t *testing.T) {
	for in, want := range map[string]string{
		"createSession":          "create_session",
		"createSessionV2":        "create_session_v2",
		"createSessionWithPayer": "create_session_with_payer",
		"create_session_v2":      "create_session_v2",
		"sessionToken":           "session_token",
		"HTTPServer":             "http_server",
		"v2Token":                "v2_token",
		"a":                      "a",
		"":                       "",
	} {
		require.Equal(t, want, toSnake(in), in)
	}
}

func TestStringers(t *testing.T) {
	require.Equal(t, "legacy", FormatLegacy.String())
	require.Equal(t, "anchor-0.30", FormatSpec.String())
	require.Equal(t, "Format(9)", Format(9).String())
	require.Equal(t, "invalid", Type{}.String())
}

func FuzzParse(f *testing.F) {
	f.Add(SessionJSON())
	f.Add(GumSessionJSON())
	for _, name := range []string{"generic_spec.json", "generic_legacy.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idl, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidIDL) {
				t.Fatalf("error does not wrap ErrInvalidIDL: %v", err)
			}
			return
		}
		if idl.Format != FormatSpec && idl.Format != FormatLegacy {
			t.Fatalf("format %v", idl.Format)
		}
		for i := range idl.Instructions {
			if len(idl.Instructions[i].Discriminator) == 0 {
				t.Fatalf("instruction %s without discriminator", idl.Instructions[i].Name)
			}
			for _, a := range idl.Instructions[i].Args {
				_ = a.Type.String()
				idl.FixedSize(a.Type)
			}
		}
		for _, td := range idl.Types {
			idl.FixedSize(Type{Kind: KindDefined, Name: td.Name})
		}
	})
}
