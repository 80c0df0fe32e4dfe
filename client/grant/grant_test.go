package grant_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/spl"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

// The golden vector: a document in any order and spacing (and a "60s" interval), its
// canonical bytes (reviewed against the package doc's rules: key and permission order,
// "1m", no whitespace) and their SHA-256, which sha256sum agrees with. A change to either
// file is a change of what players' wallets signed.
func TestGolden(t *testing.T) {
	doc, err := os.ReadFile("testdata/grant.json")
	require.NoError(t, err)
	want, err := os.ReadFile("testdata/grant.canonical.json")
	require.NoError(t, err)
	wantHash, err := os.ReadFile("testdata/grant.sha256")
	require.NoError(t, err)

	g, err := grant.Parse(doc)
	require.NoError(t, err)
	got, err := g.Canonical()
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	h, err := g.Hash()
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(wantHash)), hex.EncodeToString(h[:]))
	require.Equal(t, sha256.Sum256(want), h)
	viaJSON, err := json.Marshal(struct{ G *grant.Grant }{g})
	require.NoError(t, err)
	require.Equal(t, `{"G":`+string(want)+`}`, string(viaJSON), "encoding/json writes the canonical form")
	var back struct{ G grant.Grant }
	require.NoError(t, json.Unmarshal(viaJSON, &back))
	require.Equal(t, *g, back.G)
	_, err = (&grant.Grant{TargetProgram: g.TargetProgram, MaxUses: 1, ValidAfter: 5, Expiry: 5}).Canonical()
	require.ErrorIs(t, err, grant.ErrInvalid, "a grant built in code is checked as a parsed one")

	require.Equal(t, uint64(1_000_000), uint64(*g.Native.PerTransaction))
	require.Equal(t, uint64(50), uint64(*g.Tokens[0].Total))
	require.Equal(t, []string{"move_player", "buy_item"}, g.Instructions)
	require.Equal(t, uint64(500), g.MaxUses)
	require.Equal(t, uint64(10), g.Rate.Count)
	require.Equal(t, int64(1798826400), g.ValidAfter)
	require.Equal(t, uint32(200_000), g.Compute.MaxUnitLimit)
}

func TestParseRefuses(t *testing.T) {
	const head = `{"version":1,"targetProgram":"G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd","permissions":[`
	const mint = "So11111111111111111111111111111111111111112"
	tests := []struct {
		name, doc string
		err       error
		path      string
	}{
		{"unknown top-level field", `{"version":1,"targetProgram":"G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd","permissions":[],"policies":[]}`, grant.ErrUnknown, "policies"},
		{"unknown type", head + `{"type":"erc20-token-limit","data":{}}]}`, grant.ErrUnknown, "permissions[0].type"},
		{"unknown data field", head + `{"type":"max-uses","data":{"count":5,"per":"day"}}]}`, grant.ErrUnknown, "permissions[0].data.per"},
		{"version 2", `{"version":2,"targetProgram":"G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd","permissions":[]}`, grant.ErrInvalid, "version"},
		{"no target", `{"version":1,"permissions":[]}`, grant.ErrInvalid, "targetProgram"},
		{"bad target", `{"version":1,"targetProgram":"xyz","permissions":[]}`, grant.ErrInvalid, "targetProgram"},
		{"amount as a number", head + `{"type":"native-token-limit","data":{"total":5}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"amount with a leading zero", head + `{"type":"native-token-limit","data":{"total":"05"}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"amount past u64", head + `{"type":"native-token-limit","data":{"total":"18446744073709551616"}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"empty limit", head + `{"type":"native-token-limit","data":{}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"per transaction above total", head + `{"type":"native-token-limit","data":{"perTransaction":"6","total":"5"}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"repeated type", head + `{"type":"max-uses","data":{"count":5}},{"type":"max-uses","data":{"count":6}}]}`, grant.ErrInvalid, "permissions[1]"},
		{"second limit for a mint", head + `{"type":"token-limit","data":{"mint":"` + mint + `","total":"1"}},{"type":"token-limit","data":{"mint":"` + mint + `","total":"2"}}]}`, grant.ErrInvalid, "permissions[1].data.mint"},
		{"no data", head + `{"type":"max-uses"}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"zero uses", head + `{"type":"max-uses","data":{"count":0}}]}`, grant.ErrInvalid, "permissions[0].data.count"},
		{"negative uses", head + `{"type":"max-uses","data":{"count":-1}}]}`, grant.ErrInvalid, "permissions[0].data"},
		{"rate past the maximum", head + `{"type":"rate","data":{"count":10001,"interval":"1m"}}]}`, grant.ErrInvalid, "permissions[0].data.count"},
		{"bad interval", head + `{"type":"rate","data":{"count":1,"interval":"often"}}]}`, grant.ErrInvalid, "permissions[0].data.interval"},
		{"empty allow", head + `{"type":"instructions","data":{"allow":[]}}]}`, grant.ErrInvalid, "permissions[0].data.allow"},
		{"bad instruction name", head + `{"type":"instructions","data":{"allow":["move player"]}}]}`, grant.ErrInvalid, "permissions[0].data.allow[0]"},
		{"short discriminator", head + `{"type":"instructions","data":{"allow":["0x1234"]}}]}`, grant.ErrInvalid, "permissions[0].data.allow[0]"},
		{"valid-after not before expiry", head + `{"type":"valid-after","data":{"time":10}},{"type":"expiry","data":{"time":10}}]}`, grant.ErrInvalid, ""},
		{"trailing data", head + `]} {}`, grant.ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := grant.Parse([]byte(tt.doc))
			require.ErrorIs(t, err, tt.err)
			var ge *grant.Error
			require.True(t, errors.As(err, &ge), "%T", err)
			require.Equal(t, tt.path, ge.Path, "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), "grant: "))
		})
	}
}

func TestMemo(t *testing.T) {
	authority := solana.NewWallet().PublicKey()
	h := sha256.Sum256([]byte("a grant"))
	ix := grant.Memo(authority, h)
	require.Equal(t, spl.MemoProgramID, ix.ProgramID())
	require.Len(t, ix.Accounts(), 1)
	require.Equal(t, authority, ix.Accounts()[0].PublicKey)
	require.True(t, ix.Accounts()[0].IsSigner, "the Memo program checks the listed account signed")
	data, err := ix.Data()
	require.NoError(t, err)
	require.Equal(t, "sessionkit-grant-v1 sha256:"+hex.EncodeToString(h[:]), string(data))
	got, ok := grant.ParseMemo(data)
	require.True(t, ok)
	require.Equal(t, h, got)
	for _, bad := range []string{"hello", grant.MemoPrefix + "00", grant.MemoPrefix + strings.ToUpper(hex.EncodeToString(h[:]))} {
		_, ok := grant.ParseMemo([]byte(bad))
		require.False(t, ok, bad)
	}
}

func TestPolicy(t *testing.T) {
	doc, err := os.ReadFile("testdata/grant.json")
	require.NoError(t, err)
	g, err := grant.Parse(doc)
	require.NoError(t, err)
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	// The IDL resolves the grant's names (buy_item, as Anchor's rule would); a name it
	// lacks is refused, where Anchor's rule would resolve any name.
	p, err := g.Policy(idl)
	require.NoError(t, err)
	anchorRule, err := g.Discriminators(nil)
	require.NoError(t, err)
	require.Equal(t, anchorRule, p.Instructions)
	g.Instructions = []string{"sell_item"}
	_, err = g.Policy(idl)
	require.ErrorIs(t, err, grant.ErrInvalid)
	require.ErrorContains(t, err, `"sell_item"`)
	g.Instructions = []string{"move_player", "0x0102030405060708"}
	p, err = g.Policy(idl)
	require.NoError(t, err)
	require.Equal(t, []guard.Discriminator{{17, 58, 68, 221, 186, 117, 140, 231}, {1, 2, 3, 4, 5, 6, 7, 8}}, p.Instructions)
	require.Equal(t, uint64(1_000_000), p.Lamports.PerTransaction)
	require.Equal(t, uint64(5), p.Tokens[0].PerTransaction)
	ata, err := spl.AssociatedTokenAddress(g.Signer, g.Tokens[0].Mint, spl.TokenProgramID)
	require.NoError(t, err)
	require.Contains(t, p.TokenAccounts, guard.TokenAccount{Address: ata, Mint: g.Tokens[0].Mint})
	require.Len(t, p.TokenAccounts, 2, "the associated accounts under Token and Token-2022")
	require.Equal(t, uint32(200_000), p.MaxUnitLimit)

	anchor, err := (&grant.Grant{Instructions: []string{"move_player"}}).Discriminators(nil)
	require.NoError(t, err)
	require.Equal(t, p.Instructions[0], anchor[0], "Anchor's rule agrees with the IDL")
}

func FuzzParse(f *testing.F) {
	doc, err := os.ReadFile("testdata/grant.json")
	require.NoError(f, err)
	f.Add(doc)
	f.Add([]byte(`{"version":1,"targetProgram":"G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd","permissions":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := grant.Parse(b)
		if err != nil {
			var ge *grant.Error
			if !errors.As(err, &ge) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		// What parses has canonical bytes, which parse to the same grant and bytes.
		c, err := g.Canonical()
		if err != nil {
			t.Fatalf("parsed but has no canonical form: %v", err)
		}
		g2, err := grant.Parse(c)
		if err != nil {
			t.Fatalf("canonical bytes do not parse: %v\n%s", err, c)
		}
		c2, err := g2.Canonical()
		if err != nil || string(c) != string(c2) {
			t.Fatalf("canonical form not stable:\n%s\n%s", c, c2)
		}
	})
}
