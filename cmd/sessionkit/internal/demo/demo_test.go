package demo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunRefusesBadOptions(t *testing.T) {
	for _, mod := range []func(*Params){
		func(o *Params) { o.Moves = 0 },
		func(o *Params) { o.Concurrency = 0 },
		func(o *Params) { o.ValidFor = 0 },
		func(o *Params) { o.TopUp = uint64(o.Moves+2)*feeBound - 1 },
	} {
		o := Defaults()
		mod(&o)
		_, err := Run(context.Background(), o, nil)
		require.ErrorIs(t, err, ErrBadOptions)
	}
}

// TestFees: whatever the parties lose in total, phase by phase, is the fees.
func TestFees(t *testing.T) {
	r := &Report{}
	for _, b := range []struct {
		name                  string
		before, cr, mv, after uint64
	}{
		// Pays rent, top-up and a 2-signature fee; gets rent and top-up less fees back.
		{"authority", 2_000_000_000, 1_988_319_600, 1_988_319_600, 1_999_485_000},
		{"session signer", 0, 10_000_000, 9_500_000, 0},
		{"session token", 0, 1_670_400, 1_670_400, 0},
	} {
		row := r.balance(b.name, "addr")
		row.set("before", b.before)
		row.set("afterCreate", b.cr)
		row.set("afterMoves", b.mv)
		row.set("afterRevoke", b.after)
	}
	require.Equal(t, Fees{Create: 10_000, Moves: 500_000, Revoke: 5_000, Total: 515_000}, r.fees())
	require.Equal(t, int64(-515_000), r.Balances[0].Change())
}

func TestReportJSON(t *testing.T) {
	r := &Report{Steps: []Step{{Name: "moves", Elapsed: 1500 * time.Microsecond}}, Total: 2 * time.Second}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, 2000.0, m["totalMs"])
	require.Equal(t, []any{map[string]any{"name": "moves", "elapsedMs": 1.5}}, m["steps"])
}
