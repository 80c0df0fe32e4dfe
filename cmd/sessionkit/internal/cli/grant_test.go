package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// create --grant puts the grant's hash into the create transaction and the grant into
// the store; inspect --store shows it and checks it against the memo, and reports a
// stored grant that is not the signed one.
func TestScopedCLIGrant(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	doc := `{"version":1,"targetProgram":"` + gameID.String() + `","permissions":[{"type":"max-uses","data":{"count":100}},{"type":"instructions","data":{"allow":["move_player"]}}]}`
	path := filepath.Join(h.home, "grant.json")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	store := h.storeFlags()

	r := h.onNet("create", "--target", gameID.String(), "--grant", path, "--top-up", "0")
	require.Equal(t, 2, r.code, "%s", r)
	require.Contains(t, r.err, "--grant needs --store")

	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--grant", path, "--output", "json"}, store...)...).ok(t))
	require.Len(t, c.GrantSHA256, 64)

	type inspected struct {
		Status string `json:"status"`
		Grant  struct {
			Document map[string]any `json:"document"`
			SHA256   string         `json:"sha256"`
			Memo     string         `json:"memoSha256"`
			Check    string         `json:"check"`
		} `json:"grant"`
	}
	v := decode[inspected](t, h.onNet(append([]string{"inspect", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Equal(t, "active", v.Status)
	require.Equal(t, "match", v.Grant.Check)
	require.Equal(t, c.GrantSHA256, v.Grant.SHA256)
	require.Equal(t, c.GrantSHA256, v.Grant.Memo)
	require.Equal(t, c.SessionSigner, v.Grant.Document["signer"], "create filled in the signer")

	text := h.onNet(append([]string{"inspect", c.Token}, store...)...).ok(t)
	require.Contains(t, text.out, "matches: the wallet signed this grant")
	require.Contains(t, text.out, "100 of 100 moves (max-uses, refused by sessionkit before signing)")

	// What the grant leaves, beside the chain's caps, in inspect and list.
	type left struct {
		Token     string `json:"token"`
		GrantLeft []struct {
			Bound             string
			Limit, Used, Left uint64
		} `json:"grantLeft"`
		Caps struct {
			SOL uint64 `json:"solLamports"`
		} `json:"caps"`
	}
	l := decode[left](t, h.onNet(append([]string{"inspect", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Len(t, l.GrantLeft, 1)
	require.Equal(t, "max-uses", l.GrantLeft[0].Bound)
	require.Equal(t, [3]uint64{100, 0, 100}, [3]uint64{l.GrantLeft[0].Limit, l.GrantLeft[0].Used, l.GrantLeft[0].Left})
	require.NotZero(t, l.Caps.SOL)
	ls := decode[struct{ Sessions []left }](t, h.onNet(append([]string{"list", "--output", "json"}, store...)...).ok(t))
	require.Len(t, ls.Sessions, 1)
	require.Equal(t, l.GrantLeft, ls.Sessions[0].GrantLeft)
	table := h.onNet(append([]string{"list"}, store...)...).ok(t)
	require.Contains(t, table.out, "GRANT LEFT")
	require.Contains(t, table.out, "100/100 moves")
	require.NotContains(t, h.onNet("list").ok(t).out, "GRANT LEFT", "without a store, no grant column")

	// Someone with the store's key replaces the grant with a looser one.
	dir := store[1]
	st, err := tokenstore.Open(context.Background(), dir, tokenstore.MasterKey(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	token := solana.MustPublicKeyFromBase58(c.Token)
	stored, err := st.Attachment(context.Background(), token, tokenstore.AttachmentGrant)
	require.NoError(t, err)
	require.Equal(t, c.GrantSHA256, hexSum(stored))
	require.NoError(t, os.Remove(filepath.Join(dir, "sessions", c.Token+".grant.att")))
	looser := strings.Replace(string(stored), `"count":100`, `"count":100000`, 1)
	require.NoError(t, st.Attach(context.Background(), token, tokenstore.AttachmentGrant, []byte(looser)))
	require.NoError(t, st.Close())

	r = h.onNet(append([]string{"inspect", c.Token}, store...)...)
	require.NotEqual(t, 0, r.code, "%s", r)
	require.Contains(t, r.out, "tampered")
	require.Contains(t, r.err, "not the one the wallet signed")
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
