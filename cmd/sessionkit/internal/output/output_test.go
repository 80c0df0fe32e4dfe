package output

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "display": Text, "": Text, "json": JSON, "json-compact": JSONCompact} {
		got, err := ParseFormat(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ParseFormat("yaml")
	require.EqualError(t, err, `"yaml": output format must be text, json or json-compact`)
	require.Equal(t, "json-compact", JSONCompact.String())
	require.True(t, JSON.IsJSON())
	require.False(t, Text.IsJSON())
}

func TestWriteJSON(t *testing.T) {
	v := map[string]any{"a": 1, "b": []int{2}, "c": "x < y"}
	var pretty, compact bytes.Buffer
	require.NoError(t, WriteJSON(&pretty, JSON, v))
	require.NoError(t, WriteJSON(&compact, JSONCompact, v))
	require.Equal(t, "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ],\n  \"c\": \"x < y\"\n}\n", pretty.String())
	require.Equal(t, "{\"a\":1,\"b\":[2],\"c\":\"x < y\"}\n", compact.String())
}

func TestSOL(t *testing.T) {
	for lamports, want := range map[uint64]string{
		0: "0 SOL", 1: "0.000000001 SOL", 1_670_400: "0.0016704 SOL", 10_000_000: "0.01 SOL",
		2_000_000_000: "2 SOL", 1_500_000_001: "1.500000001 SOL",
		math.MaxUint64: "18446744073.709551615 SOL",
	} {
		require.Equal(t, want, SOL(lamports))
	}
}

func TestParseSOL(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "0.01": 10_000_000, ".5": 500_000_000, "2": 2_000_000_000, "2.": 2_000_000_000,
		"0.000000001": 1, "18446744072": 18_446_744_072_000_000_000, "18446744073": 18_446_744_073_000_000_000,
		"18446744073.709551615": math.MaxUint64,
	} {
		got, err := ParseSOL(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", ".", "-1", "1e3", "0.0000000001", "abc", "1.2.3", "18446744073.709551616", "18446744074", "99999999999999999999", " 1"} {
		_, err := ParseSOL(in)
		require.ErrorIs(t, err, ErrBadAmount, in)
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1_670_400: "1,670,400", 12_345_678_901: "12,345,678,901"} {
		require.Equal(t, want, Grouped(n))
	}
	require.Equal(t, "+5,000", GroupedSigned(5000))
	require.Equal(t, "-1,670,400", GroupedSigned(-1670400))
	require.Equal(t, "0", GroupedSigned(0))
}

func TestTimes(t *testing.T) {
	require.Equal(t, "2030-03-17T17:46:40Z", UTC(1_900_000_000))
	for _, tc := range []struct {
		t, now int64
		want   string
	}{
		{100, 100, "now"},
		{130, 100, "in 30s"},
		{100 + 3599, 100, "in 59m 59s"},
		{100 + 3600, 100, "in 1h 0m"},
		{100 + 7*86400, 100, "in 7d 0h"},
		{100, 100 + 7260, "2h 1m ago"},
		{100, 101, "1s ago"},
	} {
		require.Equal(t, tc.want, Relative(tc.t, tc.now))
	}
	for d, want := range map[time.Duration]string{
		412 * time.Microsecond: "412µs", 153 * time.Millisecond: "153ms", 2410 * time.Millisecond: "2.41s",
		63 * time.Second: "1m 3s",
	} {
		require.Equal(t, want, Duration(d))
	}
}

func TestTableAndFields(t *testing.T) {
	var b bytes.Buffer
	tb := NewTable(&b, "A", "LONGER")
	tb.Row("xyz", "1")
	require.NoError(t, tb.Flush())
	f := NewFields(&b)
	f.Add("Public Key", "k")
	f.Add("Owner", "o")
	require.NoError(t, f.Flush())
	require.Equal(t, "A    LONGER\nxyz  1\nPublic Key: k\nOwner:      o\n", b.String())
}
