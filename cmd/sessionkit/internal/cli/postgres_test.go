package cli

import (
	"bytes"
	"context"
	neturl "net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
	"github.com/sessionkit/sessionkit/tokenstore/postgres/pgtest"
)

// TestPostgresStoreFlag runs create, keys list and revoke with --store postgres://…, as
// they run with --store DIR.
func TestPostgresStoreFlag(t *testing.T) {
	url, schema := pgtest.Schema(t)
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	keyFile := filepath.Join(h.home, "store.key")
	require.NoError(t, os.WriteFile(keyFile, bytes.Repeat([]byte{9}, 32), 0o600))
	store := []string{"--store", url + "?search_path=" + schema, "--store-key-file", keyFile}

	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--output", "json"}, store...)...).ok(t))
	st, err := postgres.Open(context.Background(), url, tokenstore.MasterKey(mustRead(t, keyFile)), postgres.WithSchema(schema))
	require.NoError(t, err)
	rec, key, err := st.Get(context.Background(), solana.MustPublicKeyFromBase58(c.Token))
	require.NoError(t, err, "create stored the key in PostgreSQL")
	require.Equal(t, c.SessionSigner, key.PublicKey().String())
	require.Equal(t, c.ValidUntil, rec.ValidUntil)
	_, err = st.Acquire(context.Background(), rec.Token, "replica-3", time.Hour, false)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	got := decode[struct {
		Sessions []keyRecord `json:"sessions"`
	}](t, h.onNet(append([]string{"keys", "list", "--output", "json"}, store...)...).ok(t))
	require.Len(t, got.Sessions, 1)
	require.Equal(t, c.Token, got.Sessions[0].Token)
	require.Equal(t, "replica-3", got.Sessions[0].HeldBy)

	h.onNet(append([]string{"revoke", c.Token}, store...)...).ok(t)
	st, err = postgres.Open(context.Background(), url, tokenstore.MasterKey(mustRead(t, keyFile)), postgres.WithSchema(schema))
	require.NoError(t, err)
	defer st.Close()
	_, _, err = st.Get(context.Background(), rec.Token)
	require.ErrorIs(t, err, tokenstore.ErrNotFound, "revoke swept the signer and deleted the key")

	// A store that is not there is named without the URL's password.
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	u.User = neturl.UserPassword(u.User.Username(), "hunter2") // trust auth ignores it
	u.RawQuery = "search_path=" + schema + "_none"
	other := []string{"--store", u.String(), "--store-key-file", keyFile}
	out := h.onNet(append([]string{"keys", "list"}, other...)...)
	require.NotZero(t, out.code)
	require.Contains(t, out.err, "no token store in")
	require.NotContains(t, out.err, "hunter2")
}
