// Package txview reads a serialized Solana transaction, or a bare message, and renders
// it for people and for programs (JSON): signatures, fee payer, blockhash, account keys
// and every instruction, named and decoded through the IDLs of the programs it is told
// about.
package txview

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gagliardetto/solana-go"
	"github.com/mr-tron/base58"

	programidl "github.com/sessionkit/sessionkit/program-idl"
)

// Program is what a view knows of a program: a name and, when it has one, the IDL its
// instructions decode through.
type Program struct {
	Name string
	IDL  *programidl.IDL
	// Text says the instruction data is UTF-8 text (the Memo program's).
	Text bool
}

// Programs maps program ids to what a view knows of them.
type Programs map[solana.PublicKey]Program

// View is a decoded transaction or message.
type View struct {
	// Encoding is how the input was written: base64, base58 or "" for raw bytes.
	Encoding Encoding `json:"encoding,omitempty"`
	// Kind is "transaction" (signatures and message) or "message" (a bare message).
	Kind string `json:"kind"`
	// Version is "legacy" or "0".
	Version         string        `json:"version"`
	Size            int           `json:"size"`
	Signatures      []Signature   `json:"signatures"`
	FeePayer        string        `json:"feePayer"`
	RecentBlockhash string        `json:"recentBlockhash"`
	Header          Header        `json:"header"`
	AccountKeys     []Key         `json:"accountKeys"`
	Lookups         []Lookup      `json:"addressTableLookups,omitempty"`
	Instructions    []Instruction `json:"instructions"`
}

// Header is the message header.
type Header struct {
	RequiredSignatures int `json:"numRequiredSignatures"`
	ReadonlySigned     int `json:"numReadonlySignedAccounts"`
	ReadonlyUnsigned   int `json:"numReadonlyUnsignedAccounts"`
}

// Signature statuses: checked against the message and the signer's key.
const (
	SigValid   = "valid"
	SigInvalid = "invalid"
	// SigEmpty is an all-zero signature slot, waiting for its signer.
	SigEmpty = "empty"
	// SigNone is a required signer of a bare message, which has no signature slots.
	SigNone = "none"
)

// Signature is one required signer and its signature.
type Signature struct {
	Index     int    `json:"index"`
	Signer    string `json:"signer"`
	Signature string `json:"signature,omitempty"`
	Status    string `json:"status"`
}

// Key is one account of the message: a static key, or an entry a lookup table loads
// (whose address only the table's on-chain contents say: Pubkey is empty until
// View.Resolve names it).
type Key struct {
	Index       int    `json:"index"`
	Pubkey      string `json:"pubkey,omitempty"`
	LookupTable string `json:"lookupTable,omitempty"`
	LookupIndex *int   `json:"lookupIndex,omitempty"`
	Signer      bool   `json:"signer"`
	Writable    bool   `json:"writable"`
}

// Lookup is one address table lookup of a v0 message.
type Lookup struct {
	Table           string `json:"accountKey"`
	WritableIndexes []int  `json:"writableIndexes"`
	ReadonlyIndexes []int  `json:"readonlyIndexes"`
}

// Instruction is one instruction, decoded when its program's IDL allows.
type Instruction struct {
	Index     int    `json:"index"`
	ProgramID string `json:"programId"`
	// Program is the program's name, "" when unknown.
	Program string `json:"program,omitempty"`
	// Name is the instruction's IDL name, "" when not identified.
	Name string `json:"instruction,omitempty"`
	// Args are set when the arguments decoded.
	Args     *programidl.Args `json:"args,omitempty"`
	Accounts []Account        `json:"accounts"`
	// Data is the instruction data in hex.
	Data string `json:"data"`
	// Text is the data as text, for programs whose data is text.
	Text string `json:"text,omitempty"`
	// DecodeError says why the IDL could not decode the data, or (with Args set) what
	// it found after the arguments.
	DecodeError string `json:"decodeError,omitempty"`
}

// Account is one account of an instruction.
type Account struct {
	// Name is the IDL's name for the position, "" when unknown or past the IDL's list.
	Name string `json:"name,omitempty"`
	Key
	// Absent marks an optional account left out: Anchor passes the program's own id in
	// its place.
	Absent bool `json:"absent,omitempty"`
}

// Decode parses raw as a wire transaction or, failing that, a bare message, and decodes
// its instructions through programs. Errors wrap ErrMalformed or ErrUnsupportedVersion.
func Decode(raw []byte, programs Programs) (*View, error) {
	sigs, msg, kind, err := parse(raw)
	if err != nil {
		return nil, err
	}
	v := &View{Kind: kind, Version: "legacy", Size: len(raw), FeePayer: msg.keys[0].String(),
		RecentBlockhash: msg.blockhash.String(),
		Header:          Header{int(msg.header[0]), int(msg.header[1]), int(msg.header[2])}}
	if msg.version == 0 {
		v.Version = "0"
	}
	for i := range int(msg.header[0]) {
		s := Signature{Index: i, Signer: msg.keys[i].String(), Status: SigNone}
		if sigs != nil {
			if s.Status = sigStatus(msg.keys[i], sigs[i], msg.raw); s.Status != SigEmpty {
				s.Signature = sigs[i].String()
			}
		}
		v.Signatures = append(v.Signatures, s)
	}
	v.AccountKeys = accountKeys(msg)
	for _, l := range msg.lookups {
		v.Lookups = append(v.Lookups, Lookup{Table: l.table.String(),
			WritableIndexes: ints(l.writable), ReadonlyIndexes: ints(l.readonly)})
	}
	for i, ix := range msg.instructions {
		v.Instructions = append(v.Instructions, decodeInstruction(i, ix, msg, v.AccountKeys, programs))
	}
	return v, nil
}

// parse reads raw as a transaction or a bare message. A first byte with the high bit
// set starts a versioned message: as a transaction it would announce 128 signatures or
// more, several times what a packet holds. Otherwise, when neither reading succeeds,
// the transaction's error is the one to report (transactions are what people paste)
// unless the bytes are a message in form that fails a check.
func parse(raw []byte) (sigs []solana.Signature, m *message, kind string, err error) {
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		m, _, err = parseMessage(raw)
		return nil, m, "message", err
	}
	sigs, m, txErr := parseTransaction(raw)
	if txErr == nil {
		return sigs, m, "transaction", nil
	}
	m, read, err := parseMessage(raw)
	switch {
	case err == nil:
		return nil, m, "message", nil
	case read == len(raw) && read > 0:
		return nil, nil, "", err
	}
	return nil, nil, "", txErr
}

// ints keeps indexes numbers in JSON, where a []uint8 would be base64.
func ints(b []uint8) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}

func sigStatus(signer solana.PublicKey, sig solana.Signature, msg []byte) string {
	switch {
	case sig.IsZero():
		return SigEmpty
	case ed25519.Verify(signer[:], msg, sig[:]):
		return SigValid
	}
	return SigInvalid
}

// accountKeys lists the static keys with the header's flags, then the lookup tables'
// entries: every table's writable ones, then every table's read-only ones, the order
// the runtime numbers them in.
func accountKeys(m *message) []Key {
	required, roSigned, roUnsigned := int(m.header[0]), int(m.header[1]), int(m.header[2])
	keys := make([]Key, 0, m.accountCount())
	for i, k := range m.keys {
		signer := i < required
		writable := i < required-roSigned || (!signer && i < len(m.keys)-roUnsigned)
		keys = append(keys, Key{Index: i, Pubkey: k.String(), Signer: signer, Writable: writable})
	}
	for _, writable := range []bool{true, false} {
		for _, l := range m.lookups {
			idx := l.readonly
			if writable {
				idx = l.writable
			}
			for _, j := range idx {
				keys = append(keys, Key{Index: len(keys), LookupTable: l.table.String(), LookupIndex: ptr(int(j)), Writable: writable})
			}
		}
	}
	return keys
}

func ptr[T any](v T) *T { return &v }

func decodeInstruction(i int, ix compiledInstruction, m *message, keys []Key, programs Programs) Instruction {
	programID := m.keys[ix.program]
	prog := programs[programID]
	out := Instruction{Index: i, ProgramID: programID.String(), Program: prog.Name, Data: hex.EncodeToString(ix.data),
		Accounts: make([]Account, len(ix.accounts))}
	// Keys a lookup table loads stay zero: only their positions matter for the names.
	static := make([]solana.PublicKey, len(ix.accounts))
	for j, a := range ix.accounts {
		out.Accounts[j] = Account{Key: keys[a]}
		if int(a) < len(m.keys) {
			static[j] = m.keys[a]
		}
	}
	if prog.Text && utf8.Valid(ix.data) {
		out.Text = string(ix.data)
	}
	if prog.IDL == nil {
		return out
	}
	d, err := prog.IDL.DecodeInstruction(ix.data, static)
	if err != nil {
		out.DecodeError = err.Error()
	}
	if d == nil {
		if def, lerr := prog.IDL.InstructionOf(ix.data); lerr == nil {
			out.Name = def.Name
		}
		return out
	}
	out.Name, out.Args = d.Name(), &d.Args
	for j, a := range d.Accounts {
		out.Accounts[j].Name = a.Name
		out.Accounts[j].Absent = a.Def != nil && a.Def.Optional && a.Key == programID
	}
	return out
}

// Encoding is how a transaction is written as text.
type Encoding string

// Encodings. Auto reads whichever of base64 and base58 yields a transaction or message.
const (
	Auto   Encoding = "auto"
	Base64 Encoding = "base64"
	Base58 Encoding = "base58"
)

// ErrEncoding means text that is not a transaction in the encoding given (or in either,
// for Auto).
var ErrEncoding = errors.New("txview: not a base64 or base58 transaction")

// ErrUnknownEncoding means an encoding other than auto, base64 or base58.
var ErrUnknownEncoding = errors.New("txview: unknown encoding")

// MaxText bounds the text DecodeText reads: several times the base58 length of the
// largest transaction, and small enough that base58 decoding (quadratic) stays quick.
const MaxText = 8 << 10

// ParseEncoding parses an --encoding value.
func ParseEncoding(s string) (Encoding, error) {
	switch e := Encoding(strings.ToLower(s)); e {
	case Auto, Base64, Base58:
		return e, nil
	}
	return "", fmt.Errorf("%w %q: auto, base64 or base58", ErrUnknownEncoding, s)
}

// DecodeText decodes a transaction or message written in enc; whitespace is ignored, so
// wrapped base64 reads too. With Auto, each decoding that succeeds is parsed, base64
// first: text outside base58's alphabet can only be base64, and text inside it is
// hardly ever both a base64 and a base58 transaction.
func DecodeText(text string, enc Encoding, programs Programs) (*View, error) {
	text = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, text)
	switch {
	case text == "":
		return nil, fmt.Errorf("%w: no input", ErrEncoding)
	case len(text) > MaxText:
		return nil, fmt.Errorf("%w: %d characters, more than %d", ErrEncoding, len(text), MaxText)
	}
	var tries []Encoding
	switch enc {
	case Auto:
		tries = []Encoding{Base64, Base58}
	case Base64, Base58:
		tries = []Encoding{enc}
	default:
		return nil, fmt.Errorf("%w %q: auto, base64 or base58", ErrUnknownEncoding, enc)
	}
	var errs []string
	var parseErr error
	for _, e := range tries {
		raw, err := e.decode(text)
		if err != nil {
			errs = append(errs, fmt.Sprintf("not %s (%v)", e, err))
			continue
		}
		v, err := Decode(raw, programs)
		if err != nil {
			if parseErr == nil {
				parseErr = fmt.Errorf("%w (read as %s)", err, e)
			}
			continue
		}
		v.Encoding = e
		return v, nil
	}
	if parseErr != nil {
		return nil, parseErr
	}
	return nil, fmt.Errorf("%w: %s", ErrEncoding, strings.Join(errs, ", "))
}

func (e Encoding) decode(text string) ([]byte, error) {
	if e == Base64 {
		if !strings.Contains(text, "=") {
			return base64.RawStdEncoding.DecodeString(text)
		}
		return base64.StdEncoding.DecodeString(text)
	}
	return base58.Decode(text)
}
