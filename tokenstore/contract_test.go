package tokenstore_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/storetest"
)

// The shared contract, which tokenstore/postgres runs too.
func TestContract(t *testing.T) {
	stores := map[string]func(t *testing.T) tokenstore.Store{
		"Dir": func(t *testing.T) tokenstore.Store {
			d, err := tokenstore.Create(t.Context(), t.TempDir()+"/store", tokenstore.MasterKey(bytes.Repeat([]byte{7}, 32)))
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return d
		},
		"Memory": func(t *testing.T) tokenstore.Store { return tokenstore.NewMemory() },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Run("Store", func(t *testing.T) { storetest.Run(t, open) })
			t.Run("Leaser", func(t *testing.T) { storetest.RunLeaser(t, open) })
			t.Run("Reserver", func(t *testing.T) {
				storetest.RunReserver(t, func(t *testing.T) storetest.ReserverStore { return open(t).(storetest.ReserverStore) })
			})
		})
	}
}
