package sender_test

import (
	"context"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// sums reads every counter of rm as name{attributes} → value.
func sums(rm metricdata.ResourceMetrics) map[string]int64 {
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name+label(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[m.Name+".count"+label(p.Attributes)] += int64(p.Count)
				}
			}
		}
	}
	return out
}

func label(s attribute.Set) string {
	if s.Len() == 0 {
		return ""
	}
	out := "{"
	for i, kv := range s.ToSlice() {
		if i > 0 {
			out += ","
		}
		out += string(kv.Key) + "=" + kv.Value.Emit()
	}
	return out + "}"
}

func TestMetrics(t *testing.T) {
	n := localnettest.ForTest(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	s := newSender(t, n.RPCURL(), sender.WithMeterProvider(mp))
	payers := fundPayers(t, n, 1)
	ctx := sender.ContextWithParty(context.Background(), "sponsor")
	tr := transfer{from: payers[0], to: solana.NewWallet().PublicKey(), lamports: 1_000_000}
	_, err := s.Send(ctx, tr.build)
	require.NoError(t, err)
	_, err = s.Send(ctx, transfer{from: payers[0], to: tr.to, lamports: 1 << 62}.build) // more than it has
	require.Error(t, err)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := sums(rm)
	require.Equal(t, int64(1), got["sessionkit.sender.actions{outcome=landed}"])
	require.Equal(t, int64(1), got["sessionkit.sender.actions{outcome=failed}"])
	require.Equal(t, int64(1), got["sessionkit.sender.latency.count{outcome=landed}"])
	require.Equal(t, int64(5_000), got["sessionkit.sender.fees{fee=base,party=sponsor}"])
	require.Equal(t, int64(0), got["sessionkit.sender.fees{fee=priority,party=sponsor}"])
	require.GreaterOrEqual(t, got["sessionkit.sender.sends"], int64(1))
	require.Equal(t, int64(0), got["sessionkit.sender.resignings"])
}
