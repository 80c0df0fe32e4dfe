// Package pgtest gives tests a real PostgreSQL server and a schema of their own on it,
// dropped when the test ends, so parallel test runs never share tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL overrides DefaultURL.
const EnvURL = "SESSIONKIT_POSTGRES_URL"

// DefaultURL is the project machines' server: trust auth, database test.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

// URL returns the test server's URL after checking that it answers. A server that does
// not answer skips the test, or fails it under CI=true, where nothing may skip.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		url = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		msg := "PostgreSQL at " + EnvURL + " (default " + DefaultURL + ") does not answer: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set CI=true to fail instead)")
	}
	return url
}

// Schema returns the URL and a fresh schema name (not yet created) that is dropped,
// with everything in it, when t ends.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "sktest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { Drop(t, url, schema) })
	return url, schema
}

// Drop drops schema and everything in it.
func Drop(t testing.TB, url, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", schema, err)
	}
}
