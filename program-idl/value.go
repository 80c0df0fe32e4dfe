package programidl

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/gagliardetto/solana-go"
)

// Arg is one decoded value with the name and type the IDL gives it: an instruction
// argument, a struct field or an enum variant's field (tuple fields have no name).
//
// Value holds, by type: bool; uint64 for u8…u64 and int64 for i8…i64; *big.Int for
// 128- and 256-bit integers; float32 or float64; string; []byte for bytes, vec<u8> and
// [u8; N]; solana.PublicKey; nil for an option or coption that is None, otherwise the
// value itself (so an option of an option shows Some(None) as None); []any for other
// vectors and arrays; Args for structs; Enum for enums.
type Arg struct {
	Name  string
	Type  Type
	Value any
}

// Args are decoded values in layout order. In JSON they are an object keyed by name in
// that order, or an array when the fields are a tuple.
type Args []Arg

// Get returns the value of the argument or field called name.
func (a Args) Get(name string) (value any, ok bool) {
	for _, arg := range a {
		if arg.Name == name {
			return arg.Value, true
		}
	}
	return nil, false
}

func (a Args) tuple() bool { return len(a) > 0 && a[0].Name == "" }

// MarshalJSON writes a as an object in layout order (an array for tuple fields). Bytes
// are hex strings, public keys base58 strings, None null, and NaN or infinite floats
// strings ("NaN", "+Inf", "-Inf"), which JSON numbers cannot hold.
func (a Args) MarshalJSON() ([]byte, error) { return appendJSON(nil, a), nil }

// Enum is a decoded enum value: the variant's name and its fields (none for a unit
// variant).
type Enum struct {
	Variant string
	Fields  Args
}

// MarshalJSON writes a unit variant as its name, others as {"Variant": fields}.
func (e Enum) MarshalJSON() ([]byte, error) { return appendJSON(nil, e), nil }

func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case *big.Int:
		return v.Append(b, 10)
	case float32:
		return appendFloat(b, float64(v), 32)
	case float64:
		return appendFloat(b, v, 64)
	case string:
		return appendJSONString(b, v)
	case []byte:
		return appendJSONString(b, hex.EncodeToString(v))
	case solana.PublicKey:
		return appendJSONString(b, v.String())
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case Args:
		if v.tuple() {
			b = append(b, '[')
			for i, a := range v {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSON(b, a.Value)
			}
			return append(b, ']')
		}
		b = append(b, '{')
		for i, a := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, a.Name), ':')
			b = appendJSON(b, a.Value)
		}
		return append(b, '}')
	case Enum:
		if len(v.Fields) == 0 {
			return appendJSONString(b, v.Variant)
		}
		b = append(appendJSONString(append(b, '{'), v.Variant), ':')
		return append(appendJSON(b, v.Fields), '}')
	}
	// Unreachable for decoded values; keeps the output valid JSON for any other.
	return appendJSONString(b, fmt.Sprint(v))
}

func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, bits))
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendJSONString quotes s without HTML escaping: an encoder that wants it escapes the
// Marshaler's output itself.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// FormatValue renders a decoded value on one line in a Rust-like notation: None (a
// present option shows just its value), true, 42, "text", 0x0a0b, a base58 key, [1, 2],
// {x: 1, y: 2}, (1, 2) for a tuple, Up, Jump{height: 3}.
func FormatValue(v any) string {
	var b strings.Builder
	formatValue(&b, v)
	return b.String()
}

func formatValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case string:
		b.WriteString(strconv.Quote(v))
	case []byte:
		b.WriteString("0x" + hex.EncodeToString(v))
	case float32:
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			formatValue(b, e)
		}
		b.WriteByte(']')
	case Args:
		open, end := "{", "}"
		if v.tuple() {
			open, end = "(", ")"
		}
		b.WriteString(open)
		for i, a := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != "" {
				b.WriteString(a.Name + ": ")
			}
			formatValue(b, a.Value)
		}
		b.WriteString(end)
	case Enum:
		b.WriteString(v.Variant)
		if len(v.Fields) > 0 {
			formatValue(b, v.Fields)
		}
	default:
		fmt.Fprint(b, v) // bool, integers, *big.Int, solana.PublicKey
	}
}
