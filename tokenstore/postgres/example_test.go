package postgres_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
)

// Each replica of a backend opens the same schema; the first one creates the store.
// The master key comes from a secret manager, never from the URL.
func Example() {
	ctx := context.Background()
	url := "postgres://sessionkit@db.internal:5432/game?search_path=sessions"
	key := []byte(os.Getenv("SESSION_STORE_KEY")) // 32 bytes
	st, err := postgres.Open(ctx, url, tokenstore.MasterKey(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	// One maintenance pass's share of the renewals due in the next 10 minutes: no other
	// replica gets these until their leases expire.
	claims, err := st.ClaimDue(ctx, tokenstore.ClaimParams{
		Holder: "replica-3", Before: time.Now().Add(10 * time.Minute), Limit: 100, TTL: time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range claims {
		fmt.Println("renew", c.Record.Token, "held until", c.Lease.Expires)
	}
}
