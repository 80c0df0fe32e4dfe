package output

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"testing"
)

// solGrammar is what ParseSOL documents: digits, optionally a point and at most nine
// more digits, at least one digit in all.
var solGrammar = regexp.MustCompile(`^([0-9]*)(?:\.([0-9]{0,9}))?$`)

// lamportsOf is an independent reading of s in big integers; ok is false when s is
// not a SOL amount or exceeds a u64 of lamports.
func lamportsOf(s string) (uint64, bool) {
	m := solGrammar.FindStringSubmatch(s)
	if m == nil || m[1]+m[2] == "" {
		return 0, false
	}
	v, _ := new(big.Int).SetString("0"+m[1]+(m[2] + "000000000")[:9], 10)
	if !v.IsUint64() {
		return 0, false
	}
	return v.Uint64(), true
}

func FuzzParseSOL(f *testing.F) {
	for _, s := range []string{"0.01", "0", ".5", "2.", "0.000000001", "18446744073.709551616",
		"18446744072", "1e3", "-1", " 1", "1.2.3", "0.0000000001", "", ".", "٣"} {
		f.Add(s, uint64(10_000_000))
	}
	f.Add("", uint64(1_670_400))
	f.Fuzz(func(t *testing.T, s string, lamports uint64) {
		got, err := ParseSOL(s)
		want, ok := lamportsOf(s)
		switch {
		case ok && err != nil:
			t.Fatalf("%q: %v, want %d lamports", s, err, want)
		case ok && got != want:
			t.Fatalf("%q = %d lamports, want %d", s, got, want)
		case !ok && err == nil:
			t.Fatalf("%q accepted as %d lamports", s, got)
		case err != nil && (!errors.Is(err, ErrBadAmount) || err.Error() != strconv.Quote(s)+": "+ErrBadAmount.Error()):
			t.Fatalf("%q: error %q", s, err)
		}
		// Every amount the CLI prints reads back as the same amount.
		text := SOLAmount(lamports)
		if back, err := ParseSOL(text); err != nil || back != lamports {
			t.Fatalf("SOLAmount(%d) = %q reads back as %d, %v", lamports, text, back, err)
		}
	})
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"text", "display", "", "json", "json-compact", "yaml", "JSON", "json "} {
		f.Add(s)
	}
	valid := map[string]Format{"text": Text, "display": Text, "": Text, "json": JSON, "json-compact": JSONCompact}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		want, ok := valid[s]
		switch {
		case ok && (err != nil || got != want):
			t.Fatalf("%q = %v, %v; want %v", s, got, err, want)
		case !ok && (!errors.Is(err, ErrBadFormat) || err.Error() != strconv.Quote(s)+": "+ErrBadFormat.Error()):
			t.Fatalf("%q = %v, %v; want ErrBadFormat", s, got, err)
		}
		if back, err := ParseFormat(got.String()); err != nil || back != got {
			t.Fatalf("%v prints as %q, which reads back as %v, %v", got, got.String(), back, err)
		}
	})
}
