package programidl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/gagliardetto/solana-go"
)

// Decoding errors, matched with errors.Is through *DecodeError.
var (
	// ErrUnknownDiscriminator means the data starts with no instruction's discriminator.
	ErrUnknownDiscriminator = errors.New("programidl: unknown instruction discriminator")
	// ErrShortData means the data ends inside the discriminator or an argument.
	ErrShortData = errors.New("programidl: data too short")
	// ErrTrailingData means bytes follow the last argument. Anchor programs ignore them
	// (they deserialize the arguments without requiring the end of the data), so
	// DecodeInstruction still returns the decoded instruction with this error.
	ErrTrailingData = errors.New("programidl: trailing data")
	// ErrInvalidBool means a bool byte other than 0 or 1.
	ErrInvalidBool = errors.New("programidl: invalid bool")
	// ErrInvalidOptionTag means an option tag other than 0 or 1.
	ErrInvalidOptionTag = errors.New("programidl: invalid option tag")
	// ErrInvalidEnumVariant means an enum tag past the IDL's variants.
	ErrInvalidEnumVariant = errors.New("programidl: invalid enum variant")
	// ErrInvalidString means a string argument that is not UTF-8.
	ErrInvalidString = errors.New("programidl: invalid UTF-8 string")
	// ErrTooLarge means the value would exceed the decoder's limits (nesting depth or
	// number of decoded values), which bound the work hostile data can cause.
	ErrTooLarge = errors.New("programidl: value too large")
	// ErrUndefinedType means the IDL refers to a type it does not define (Parse does not
	// check references, so the first use finds it).
	ErrUndefinedType = errors.New("programidl: undefined type")
	// ErrMissingAccount means fewer accounts than the instruction requires. Only trailing
	// optional accounts may be left out, as Anchor allows.
	ErrMissingAccount = errors.New("programidl: missing account")
)

// Limits on one decode. Instruction data fits in a 1232-byte packet, so real
// instructions stay far below them; they exist for recursive IDL types and for length
// prefixes of zero-sized elements, which would otherwise cost time without consuming data.
const (
	maxDecodeDepth  = 64
	maxDecodeValues = 1 << 16
)

// DecodeError reports data that does not match the IDL: where (instruction, argument
// path, byte offset) and what (Err, one of the sentinels above).
type DecodeError struct {
	// Instruction is the instruction's name, "" while it is not yet known.
	Instruction string
	// Path names the value, e.g. "valid_until", "moves[2].height"; "" for the
	// discriminator, the data as a whole or accounts.
	Path string
	// Offset is the byte offset in the instruction data where the problem lies.
	Offset int
	Err    error
	Detail string
}

func (e *DecodeError) Error() string {
	msg := e.Err.Error()
	if e.Instruction != "" {
		msg += ": " + e.Instruction
		if e.Path != "" {
			msg += "." + e.Path
		}
	} else if e.Path != "" {
		msg += ": " + e.Path
	}
	if e.Err != ErrMissingAccount {
		msg += " at byte " + strconv.Itoa(e.Offset)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *DecodeError) Unwrap() error { return e.Err }

// DecodedInstruction is instruction data and accounts read through the IDL.
type DecodedInstruction struct {
	// Instruction is the IDL's definition.
	Instruction *Instruction
	Args        Args
	// Accounts pair each account passed with the IDL's name for its position.
	Accounts []DecodedAccount
}

// Name is the instruction's IDL name.
func (d *DecodedInstruction) Name() string { return d.Instruction.Name }

// DecodedAccount is one account of a decoded instruction.
type DecodedAccount struct {
	// Name is the IDL name, "" for an account past the IDL's list (Anchor's remaining
	// accounts).
	Name string
	Key  solana.PublicKey
	// Def is the IDL's account, nil for a remaining account.
	Def *InstructionAccount
}

// InstructionOf looks up the instruction whose discriminator starts data; the longest
// match wins, since dialects with custom discriminators allow one to prefix another. The
// error is a *DecodeError for ErrShortData (data is a strict prefix of a discriminator)
// or ErrUnknownDiscriminator.
func (idl *IDL) InstructionOf(data []byte) (*Instruction, error) {
	var best *Instruction
	short := false
	for i := range idl.Instructions {
		d := idl.Instructions[i].Discriminator
		switch {
		case bytes.HasPrefix(data, d):
			if best == nil || len(d) > len(best.Discriminator) {
				best = &idl.Instructions[i]
			}
		case bytes.HasPrefix(d, data):
			short = true
		}
	}
	switch {
	case best != nil:
		return best, nil
	case short:
		return nil, &DecodeError{Err: ErrShortData, Detail: "the data ends inside a discriminator, after " + byteCount(len(data))}
	}
	return nil, &DecodeError{Err: ErrUnknownDiscriminator, Detail: "data starts " + hexPrefix(data)}
}

func byteCount(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}

// hexPrefix shows the first bytes of data, enough to recognise a discriminator.
func hexPrefix(data []byte) string {
	const show = 8
	if len(data) > show {
		return fmt.Sprintf("%x…", data[:show])
	}
	return fmt.Sprintf("%x", data)
}

// DecodeInstruction reads instruction data and its accounts (in instruction order)
// through the IDL. Errors are *DecodeError. On ErrTrailingData the returned instruction
// is complete and is returned along with the error.
func (idl *IDL) DecodeInstruction(data []byte, accounts []solana.PublicKey) (*DecodedInstruction, error) {
	ix, err := idl.InstructionOf(data)
	if err != nil {
		return nil, err
	}
	named, err := nameAccounts(ix, accounts)
	if err != nil {
		return nil, err
	}
	d := decoder{idl: idl, data: data, off: len(ix.Discriminator)}
	args, err := d.fields(ix.Args, "", 0)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			de.Instruction = ix.Name
		}
		return nil, err
	}
	out := &DecodedInstruction{Instruction: ix, Args: args, Accounts: named}
	if rest := len(data) - d.off; rest > 0 {
		return out, &DecodeError{Instruction: ix.Name, Offset: d.off, Err: ErrTrailingData,
			Detail: byteCount(rest) + " after the arguments"}
	}
	return out, nil
}

func nameAccounts(ix *Instruction, keys []solana.PublicKey) ([]DecodedAccount, error) {
	for i := len(keys); i < len(ix.Accounts); i++ {
		if !ix.Accounts[i].Optional {
			return nil, &DecodeError{Instruction: ix.Name, Err: ErrMissingAccount,
				Detail: fmt.Sprintf("%d accounts, %s is account %d", len(keys), ix.Accounts[i].Name, i)}
		}
	}
	out := make([]DecodedAccount, len(keys))
	for i, k := range keys {
		out[i].Key = k
		if i < len(ix.Accounts) {
			out[i].Def = &ix.Accounts[i]
			out[i].Name = ix.Accounts[i].Name
		}
	}
	return out, nil
}

// decoder reads borsh values from data. Every read checks the remaining length first,
// so malformed data ends in a *DecodeError, never a panic or an outsized allocation.
type decoder struct {
	idl    *IDL
	data   []byte
	off    int
	values int
}

func (d *decoder) fail(err error, path, format string, args ...any) *DecodeError {
	return &DecodeError{Path: path, Offset: d.off, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func (d *decoder) take(n int, path string) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.off {
		return nil, d.fail(ErrShortData, path, "need %s, %d left", byteCount(n), len(d.data)-d.off)
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b, nil
}

func (d *decoder) fields(fs []Field, path string, depth int) (Args, error) {
	out := make(Args, 0, len(fs))
	for i, f := range fs {
		p := f.Name
		if p == "" {
			p = strconv.Itoa(i)
		}
		if path != "" {
			p = path + "." + p
		}
		v, err := d.value(f.Type, p, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, Arg{Name: f.Name, Type: f.Type, Value: v})
	}
	return out, nil
}

func (d *decoder) value(t Type, path string, depth int) (any, error) {
	if depth > maxDecodeDepth {
		return nil, d.fail(ErrTooLarge, path, "nested deeper than %d", maxDecodeDepth)
	}
	if d.values++; d.values > maxDecodeValues {
		return nil, d.fail(ErrTooLarge, path, "more than %d values", maxDecodeValues)
	}
	switch t.Kind {
	case KindPrimitive:
		return d.primitive(t.Name, path)
	case KindOption:
		tag, err := d.take(1, path)
		if err != nil {
			return nil, err
		}
		switch tag[0] {
		case 0:
			return nil, nil
		case 1:
			return d.value(*t.Elem, path, depth+1)
		}
		d.off--
		return nil, d.fail(ErrInvalidOptionTag, path, "tag %d", tag[0])
	case KindCOption:
		return d.coption(t, path, depth)
	case KindVec:
		b, err := d.take(4, path)
		if err != nil {
			return nil, err
		}
		return d.sequence(*t.Elem, int(binary.LittleEndian.Uint32(b)), path, depth)
	case KindArray:
		return d.sequence(*t.Elem, t.Len, path, depth)
	case KindDefined:
		return d.defined(t.Name, path, depth)
	}
	return nil, d.fail(ErrUndefinedType, path, "type of kind %d", t.Kind)
}

// coption reads Solana's COption as Anchor's TypeScript coder does: a u32 tag, then the
// value, whose bytes are present (and ignored) even when the tag says None.
func (d *decoder) coption(t Type, path string, depth int) (any, error) {
	b, err := d.take(4, path)
	if err != nil {
		return nil, err
	}
	switch tag := binary.LittleEndian.Uint32(b); tag {
	case 0:
		if n, ok := d.idl.FixedSize(*t.Elem); ok {
			if _, err := d.take(n, path); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case 1:
		return d.value(*t.Elem, path, depth+1)
	default:
		d.off -= 4
		return nil, d.fail(ErrInvalidOptionTag, path, "coption tag %d", tag)
	}
}

// sequence reads n elements; u8 elements come back as one []byte.
func (d *decoder) sequence(elem Type, n int, path string, depth int) (any, error) {
	if elem.Kind == KindPrimitive && elem.Name == "u8" {
		b, err := d.take(n, path)
		if err != nil {
			return nil, err
		}
		return bytes.Clone(b), nil
	}
	// A length beyond what the remaining bytes can hold fails before anything is
	// allocated. Otherwise the loop runs out of data or of its value budget, and the
	// slice grows no faster than data is consumed.
	if size, ok := d.idl.FixedSize(elem); ok && size > 0 && n > (len(d.data)-d.off)/size {
		return nil, d.fail(ErrShortData, path, "%d elements of %s, %d left", n, byteCount(size), len(d.data)-d.off)
	}
	out := make([]any, 0, min(n, len(d.data)-d.off+1))
	for i := range n {
		v, err := d.value(elem, path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) defined(name, path string, depth int) (any, error) {
	def, err := d.idl.Type(name)
	if err != nil {
		return nil, d.fail(ErrUndefinedType, path, "%q", name)
	}
	switch def.Kind {
	case "struct":
		return d.fields(def.Fields, path, depth)
	case "enum":
		tag, err := d.take(1, path)
		if err != nil {
			return nil, err
		}
		if int(tag[0]) >= len(def.Variants) {
			d.off--
			return nil, d.fail(ErrInvalidEnumVariant, path, "%s has %d variants, tag %d", name, len(def.Variants), tag[0])
		}
		v := &def.Variants[tag[0]]
		fields, err := d.fields(v.Fields, path, depth)
		if err != nil {
			return nil, err
		}
		return Enum{Variant: v.Name, Fields: fields}, nil
	case "type":
		return d.value(*def.Alias, path, depth+1)
	}
	return nil, d.fail(ErrUndefinedType, path, "%s is a %q", name, def.Kind)
}

func (d *decoder) primitive(name, path string) (any, error) {
	switch name {
	case "string", "bytes":
		b, err := d.take(4, path)
		if err != nil {
			return nil, err
		}
		start := d.off - 4
		if b, err = d.take(int(binary.LittleEndian.Uint32(b)), path); err != nil {
			return nil, err
		}
		if name == "bytes" {
			return bytes.Clone(b), nil
		}
		if !utf8.Valid(b) {
			d.off = start
			return nil, d.fail(ErrInvalidString, path, "%s", byteCount(len(b)))
		}
		return string(b), nil
	}
	size := primitiveSize(name)
	if size == 0 {
		return nil, d.fail(ErrUndefinedType, path, "primitive %q", name)
	}
	b, err := d.take(size, path)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch name {
	case "bool":
		if b[0] > 1 {
			d.off--
			return nil, d.fail(ErrInvalidBool, path, "byte %d", b[0])
		}
		return b[0] == 1, nil
	case "u8":
		return uint64(b[0]), nil
	case "u16":
		return uint64(le.Uint16(b)), nil
	case "u32":
		return uint64(le.Uint32(b)), nil
	case "u64":
		return le.Uint64(b), nil
	case "i8":
		return int64(int8(b[0])), nil
	case "i16":
		return int64(int16(le.Uint16(b))), nil
	case "i32":
		return int64(int32(le.Uint32(b))), nil
	case "i64":
		return int64(le.Uint64(b)), nil
	case "f32":
		return math.Float32frombits(le.Uint32(b)), nil
	case "f64":
		return math.Float64frombits(le.Uint64(b)), nil
	case "pubkey":
		return solana.PublicKeyFromBytes(b), nil
	}
	// u128, i128, u256, i256: little-endian two's complement.
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if name[0] == 'i' && be[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n, nil
}
