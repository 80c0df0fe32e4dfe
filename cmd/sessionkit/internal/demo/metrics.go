package demo

import (
	"context"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Metric is one series of the sender's metrics (package sender names them): a
// counter's value, or a histogram's count and sum.
type Metric struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Value      int64             `json:"value"`
	// Sum is a histogram's total (seconds, for latency); nil for a counter.
	Sum *float64 `json:"sum,omitempty"`
}

// newMeter is the demo's meter provider and the reader it collects from at the end.
func newMeter() (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	r := sdkmetric.NewManualReader()
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)), r
}

// collect reads every series, sorted by name and attributes.
func collect(ctx context.Context, r *sdkmetric.ManualReader) ([]Metric, error) {
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		return nil, err
	}
	var out []Metric
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out = append(out, Metric{Name: m.Name, Attributes: attrs(p.Attributes), Value: p.Value})
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					sum := p.Sum
					out = append(out, Metric{Name: m.Name, Attributes: attrs(p.Attributes), Value: int64(p.Count), Sum: &sum})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Metric) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(key(a.Attributes), key(b.Attributes))
	})
	return out, nil
}

func attrs(s attribute.Set) map[string]string {
	if s.Len() == 0 {
		return nil
	}
	out := make(map[string]string, s.Len())
	for _, kv := range s.ToSlice() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

func key(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}
