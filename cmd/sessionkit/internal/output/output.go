// Package output formats what the sessionkit CLI prints: the Solana CLI's
// --output text|json|json-compact choice, SOL amounts, times and aligned tables.
package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is an --output value.
type Format int

// The Solana CLI's output formats.
const (
	Text Format = iota
	JSON
	JSONCompact
)

// ErrBadFormat means an --output value other than text, json or json-compact.
var ErrBadFormat = errors.New("output format must be text, json or json-compact")

// ParseFormat parses an --output value; "display" is the Solana CLI's name for text.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text", "display", "":
		return Text, nil
	case "json":
		return JSON, nil
	case "json-compact":
		return JSONCompact, nil
	}
	return Text, fmt.Errorf("%q: %w", s, ErrBadFormat)
}

func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case JSONCompact:
		return "json-compact"
	}
	return "text"
}

// IsJSON reports whether f is one of the JSON formats.
func (f Format) IsJSON() bool { return f == JSON || f == JSONCompact }

// WriteJSON writes v as pretty JSON (JSON) or one line (JSONCompact), newline-terminated.
// Characters such as < stay literal: the output is read by programs, not embedded in HTML.
func WriteJSON(w io.Writer, f Format, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if f != JSONCompact {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// LamportsPerSOL is the number of lamports in one SOL.
const LamportsPerSOL = 1_000_000_000

// SOL renders lamports as the Solana CLI does: "0.0016704 SOL", "2 SOL".
func SOL(lamports uint64) string { return SOLAmount(lamports) + " SOL" }

// SOLAmount renders lamports in SOL without a unit, exactly (no float rounding).
func SOLAmount(lamports uint64) string {
	whole, frac := lamports/LamportsPerSOL, lamports%LamportsPerSOL
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	return strconv.FormatUint(whole, 10) + "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
}

// ErrBadAmount means a SOL amount that is not a non-negative decimal with at most nine
// fractional digits, or is more lamports than a u64 holds.
var ErrBadAmount = errors.New("not a SOL amount (a decimal such as 0.01, at most 9 decimals)")

// ParseSOL parses a decimal SOL amount ("0.01", "2", ".5") into lamports exactly; it
// reads back every amount SOLAmount prints.
func ParseSOL(s string) (uint64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if (whole == "" && frac == "") || len(frac) > 9 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q: %w", s, ErrBadAmount)
	}
	var w, f uint64
	var err error
	if whole != "" {
		if w, err = strconv.ParseUint(whole, 10, 64); err != nil {
			return 0, fmt.Errorf("%q: %w", s, ErrBadAmount)
		}
	}
	if frac != "" {
		f, _ = strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	hi, lo := bits.Mul64(w, LamportsPerSOL)
	lamports, carry := bits.Add64(lo, f, 0)
	if hi != 0 || carry != 0 {
		return 0, fmt.Errorf("%q: %w", s, ErrBadAmount)
	}
	return lamports, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Grouped renders n with thousands separators: 1,670,400.
func Grouped(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// GroupedSigned is Grouped for a signed change, with an explicit sign: +5,000, -1,670,400.
func GroupedSigned(n int64) string {
	switch {
	case n > 0:
		return "+" + Grouped(uint64(n))
	case n < 0:
		return "-" + Grouped(uint64(-n))
	}
	return "0"
}

// UTC renders unix seconds as RFC 3339 in UTC.
func UTC(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// Relative renders the time from now until t (both unix seconds) in words: "in 59m 58s",
// "2h 0m ago", "now". Two units are enough to read at a glance; days show as days.
func Relative(t, now int64) string {
	d := t - now
	switch {
	case d > 0:
		return "in " + span(d)
	case d < 0:
		return span(-d) + " ago"
	}
	return "now"
}

func span(s int64) string {
	const minute, hour, day = 60, 3600, 86400
	switch {
	case s >= day:
		return fmt.Sprintf("%dd %dh", s/day, s%day/hour)
	case s >= hour:
		return fmt.Sprintf("%dh %dm", s/hour, s%hour/minute)
	case s >= minute:
		return fmt.Sprintf("%dm %ds", s/minute, s%minute)
	}
	return fmt.Sprintf("%ds", s)
}

// Duration renders an elapsed time for humans: 412µs, 153ms, 2.41s, 1m 3s.
func Duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return span(int64(d.Round(time.Second) / time.Second))
}

// Table writes aligned columns (two spaces apart) to w; call Flush when done.
type Table struct{ tw *tabwriter.Writer }

// NewTable starts a table with the given header row.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.Row(header...)
	return t
}

// Row adds a row.
func (t *Table) Row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

// Flush writes the table out.
func (t *Table) Flush() error { return t.tw.Flush() }

// Fields writes "Label: value" lines with the values aligned, in the manner of
// `solana account`.
type Fields struct{ tw *tabwriter.Writer }

// NewFields starts a block of fields on w.
func NewFields(w io.Writer) *Fields {
	return &Fields{tw: tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)}
}

// Add writes one field.
func (f *Fields) Add(label, value string) { fmt.Fprintf(f.tw, "%s:\t%s\n", label, value) }

// Flush writes the block out.
func (f *Fields) Flush() error { return f.tw.Flush() }
