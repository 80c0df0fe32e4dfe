package sender

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// The Sender's metrics go through OpenTelemetry's metric API: a library instruments
// against the API alone, which does nothing until the application installs a
// MeterProvider (WithMeterProvider), and the application picks the SDK and exporter
// (Prometheus, OTLP, ...). Instrument names:
//
//	sessionkit.sender.actions        counter, attribute outcome: landed, failed
//	                                 (on chain or in preflight), expired, unknown, refused
//	sessionkit.sender.latency        histogram, seconds from Send to its outcome, by outcome
//	sessionkit.sender.sends          counter of sendTransaction requests
//	sessionkit.sender.rebroadcasts   counter of sends of bytes already sent (retries and
//	                                 rebroadcasts while unconfirmed)
//	sessionkit.sender.resignings     counter of transactions signed after an action's first
//	sessionkit.sender.fees           counter, lamports paid by landed transactions, by fee
//	                                 (base, priority) and party (ContextWithParty)

// meterName is the instrumentation scope of the Sender's metrics.
const meterName = "github.com/sessionkit/sessionkit/client/sender"

// WithMeterProvider records the Sender's metrics through mp. Default: none recorded.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *config) { o.meter = mp } }

type partyKey struct{}

// ContextWithParty labels the fees of the Sends made with ctx with party (for example
// "session_signer", "sponsor", "authority"): a role, never a key, so that the label
// stays of small cardinality.
func ContextWithParty(ctx context.Context, party string) context.Context {
	return context.WithValue(ctx, partyKey{}, party)
}

type metrics struct {
	actions, sends, rebroadcasts, resignings, fees metric.Int64Counter
	latency                                        metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(meterName)
	var out metrics
	var err error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		err = errors.Join(err, e)
		return c
	}
	out.actions = counter("sessionkit.sender.actions", "{action}", "actions by outcome")
	out.sends = counter("sessionkit.sender.sends", "{request}", "sendTransaction requests")
	out.rebroadcasts = counter("sessionkit.sender.rebroadcasts", "{request}", "sends of bytes already sent")
	out.resignings = counter("sessionkit.sender.resignings", "{transaction}", "transactions signed after an action's first")
	out.fees = counter("sessionkit.sender.fees", "lamports", "fees paid by landed transactions")
	h, e := m.Float64Histogram("sessionkit.sender.latency", metric.WithUnit("s"),
		metric.WithDescription("time from Send to its outcome"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
	out.latency, err = h, errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// outcome names how an action ended, for metrics and logs.
func outcome(err error) string {
	var fe *FailedError
	switch {
	case err == nil:
		return "landed"
	case errors.As(err, &fe):
		return "failed"
	case errors.Is(err, ErrBlockhashExpired):
		return "expired"
	case errors.Is(err, ErrOutcomeUnknown):
		return "unknown"
	default:
		return "refused"
	}
}

// observe records one action: its counts, latency and fees, and an slog event that
// holds signatures and numbers only.
func (s *Sender) observe(ctx context.Context, start time.Time, book *feeBook, res *Result, err error) {
	oc := outcome(err)
	m := s.metrics
	attrs := metric.WithAttributes(attribute.String("outcome", oc))
	m.actions.Add(ctx, 1, attrs)
	m.latency.Record(ctx, time.Since(start).Seconds(), attrs)
	signings := len(book.sigs)
	if res != nil {
		signings = res.Signings
		m.sends.Add(ctx, int64(res.Sends))
		m.rebroadcasts.Add(ctx, int64(max(res.Sends-res.Signings, 0)))
		party, _ := ctx.Value(partyKey{}).(string)
		if party == "" {
			party = "fee_payer"
		}
		p := attribute.String("party", party)
		m.fees.Add(ctx, int64(res.Fees.Base), metric.WithAttributes(attribute.String("fee", "base"), p))
		m.fees.Add(ctx, int64(res.Fees.Priority), metric.WithAttributes(attribute.String("fee", "priority"), p))
		s.log.Debug("sender: action landed", "sig", res.Signature, "slot", res.Slot, "signings", res.Signings,
			"sends", res.Sends, "fee", res.Fees.Total(), "unitPrice", res.Fees.UnitPrice)
	} else {
		s.log.Debug("sender: action ended without landing", "outcome", oc, "signings", signings, "err", err)
	}
	m.resignings.Add(ctx, int64(max(signings-1, 0)))
}
