// Package grant is the permission-grant document a player sees and signs when a game
// asks for a session: its bounds as JSON, canonical bytes, their SHA-256 in a Memo.
//
// # The document
//
// The JSON is modelled on ERC-7715's permission objects (wallet_grantPermissions): a
// signer, a target, and a list of typed permissions, each with its data:
//
//	{
//	  "version": 1,
//	  "signer": "<session signer, base58; filled in by create>",
//	  "targetProgram": "<the program the session is for, base58>",
//	  "permissions": [
//	    {"type": "native-token-limit", "data": {"perTransaction": "1000000", "total": "10000000"}},
//	    {"type": "token-limit", "data": {"mint": "<base58>", "perTransaction": "5", "total": "50"}},
//	    {"type": "instructions", "data": {"allow": ["move_player", "buy_item", "0x113a44ddba758ce7"]}},
//	    {"type": "max-uses", "data": {"count": 500}},
//	    {"type": "rate", "data": {"count": 10, "interval": "1m"}},
//	    {"type": "valid-after", "data": {"time": 1798826400}},
//	    {"type": "expiry", "data": {"time": 1798830000}},
//	    {"type": "compute", "data": {"maxUnitLimit": 200000, "maxUnitPrice": 1000}}
//	  ]
//	}
//
// Fields, and where each bound is enforced:
//
//   - version: 1, the only version. Required.
//   - signer: the ephemeral session signer the grant is for. Optional in what a backend
//     writes; Create fills it in with the key it generates, before hashing.
//   - targetProgram: the program the session token is granted for. Required; the chain
//     (gpl_session) enforces it.
//   - native-token-limit: lamports, as decimal strings (u64 does not fit a JSON number
//     that JavaScript reads exactly). perTransaction is judged by sessionkit from each
//     compiled message's System instructions (transfers, creates the signer funds);
//     total is counted by sessionkit across the session's moves. The transaction fee is
//     not counted: the compute caps bound its priority part, and the top-up (an on-chain
//     cap, what the key holds) bounds everything the key can lose. "simulate": true also
//     counts lamports a target-program instruction moves by CPI, from a simulation of
//     each move (one RPC call per move).
//   - token-limit: one per mint (at most 8), amounts in the mint's base units as decimal
//     strings; judged as native-token-limit is, from Token and Token-2022 instructions with
//     the signer as authority (transfer, approve, burn and their checked forms; an
//     approval counts as spent) out of the signer's associated token accounts of the
//     mint. Any other token account moved by the signer is refused. "simulate" as above.
//   - instructions: the target program's instructions a move may carry, by Anchor name
//     (resolved through the program's IDL when the Manager has it, session.WithIDL; by
//     Anchor's rule sha256("global:<name>")[:8] otherwise) or by 8-byte discriminator as
//     "0x" and 16 hex digits. Judged by sessionkit from the compiled message.
//   - max-uses: how many moves the session may sign in all; counted by sessionkit and
//     reserved in the key store before signing, so that it survives restarts.
//   - rate: at most count moves (1..MaxRateCount) per interval (a Go duration: "1m",
//     "10s"); counted by sessionkit in memory (a restart starts a new window).
//   - valid-after: unix seconds before which no move is signed (gpl_session has no such
//     field); judged by sessionkit against the cluster clock.
//   - expiry: unix seconds; the token's valid_until, which the chain enforces.
//   - compute: caps on SetComputeUnitLimit and SetComputeUnitPrice (micro-lamports per
//     unit); judged by sessionkit from the compiled message. With a maxUnitLimit,
//     Session.Send asks for exactly that limit on every move (the move's uniqueness salt
//     goes into the loaded-data limit instead), so the priority fee is paid on at most it.
//
// Only the token's target program and expiry, and what the session key holds (the SOL
// and token top-ups), are enforced by the chain. Everything else is enforced by
// sessionkit before it signs: it stops a bug or compromised game logic in the backend
// from spending past the grant, not someone who has the raw key, who can sign anything
// the key holds away.
//
// # Canonical bytes and the memo
//
// Canonical is the document re-encoded from its parsed form: keys in the order above,
// no whitespace, permissions sorted by type in the order above (token limits by mint),
// omitted fields left out. Hash is its SHA-256. Memo builds the Memo program
// instruction that carries the hash in the create transaction, listing the authority as
// its one signer, so the wallet's signature covers it and anyone can audit the grant
// against the chain.
package grant

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gagliardetto/solana-go"
)

// Version is the document version this package reads and writes.
const Version = 1

// MaxTokenLimits bounds the token-limit permissions of one grant (guard.MaxTokenLimits).
const MaxTokenLimits = 8

// MaxRateCount bounds a rate's count: the session remembers that many signing times.
const MaxRateCount = 10_000

// MaxDocumentSize bounds the JSON Parse reads.
const MaxDocumentSize = 16 << 10

// Permission types, in canonical order.
const (
	TypeNativeTokenLimit = "native-token-limit"
	TypeTokenLimit       = "token-limit"
	TypeInstructions     = "instructions"
	TypeMaxUses          = "max-uses"
	TypeRate             = "rate"
	TypeValidAfter       = "valid-after"
	TypeExpiry           = "expiry"
	TypeCompute          = "compute"
)

var (
	// ErrUnknown: the document has a field or permission type this version does not
	// define. Refused rather than ignored: a bound the player saw must not be dropped.
	ErrUnknown = errors.New("grant: unknown field or type")
	// ErrInvalid: a value is missing, malformed or contradicts another.
	ErrInvalid = errors.New("grant: invalid document")
)

// Error names where in the document a problem is; it unwraps to ErrUnknown or ErrInvalid.
type Error struct {
	// Path is where, as "permissions[2].data.total"; "" for the whole document.
	Path   string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "grant: " + e.Reason
	}
	return "grant: " + e.Path + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(path, format string, args ...any) error {
	return &Error{Path: path, Reason: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

// Amount is a u64 written as a decimal string.
type Amount uint64

// MarshalJSON writes the decimal string.
func (a Amount) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatUint(uint64(a), 10)), nil
}

// UnmarshalJSON reads a canonical decimal string: digits only, no leading zero.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("an amount is a decimal string")
	}
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.TrimLeft(s, "0123456789") != "" {
		return fmt.Errorf("amount %q is not a canonical decimal", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("amount %q does not fit 64 bits", s)
	}
	*a = Amount(n)
	return nil
}

// Limit bounds a spend: per transaction and over the session's life. A nil field is no
// bound; at least one is set.
type Limit struct {
	PerTransaction *Amount `json:"perTransaction,omitempty"`
	Total          *Amount `json:"total,omitempty"`
	// Simulate asks that spend by target-program CPI be counted too, from a simulation
	// of each move.
	Simulate bool `json:"simulate,omitempty"`
}

// TokenLimit is one mint's limit.
type TokenLimit struct {
	Mint solana.PublicKey `json:"mint"`
	Limit
}

// Rate is at most Count moves per Interval.
type Rate struct {
	Count    uint64
	Interval time.Duration
}

// Compute caps the Compute Budget instructions of a move; zero is the guard's default.
type Compute struct {
	MaxUnitLimit uint32 `json:"maxUnitLimit,omitempty"`
	MaxUnitPrice uint64 `json:"maxUnitPrice,omitempty"`
}

// Grant is a parsed permission-grant document. Zero fields are absent permissions.
type Grant struct {
	Signer        solana.PublicKey
	TargetProgram solana.PublicKey
	// Native is the native-token-limit (lamports).
	Native *Limit
	// Tokens are the token-limits, at most one per mint.
	Tokens []TokenLimit
	// Instructions are the allowed target-program instructions as written: Anchor names
	// or "0x" and 16 hex digits.
	Instructions []string
	MaxUses      uint64
	Rate         *Rate
	// ValidAfter and Expiry are unix seconds.
	ValidAfter int64
	Expiry     int64
	Compute    *Compute
}

// The wire shapes.
type document struct {
	Version       int          `json:"version"`
	Signer        string       `json:"signer,omitempty"`
	TargetProgram string       `json:"targetProgram"`
	Permissions   []permission `json:"permissions"`
}

type permission struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type instructionsData struct {
	Allow []string `json:"allow"`
}

type countData struct {
	Count uint64 `json:"count"`
}

type rateData struct {
	Count    uint64 `json:"count"`
	Interval string `json:"interval"`
}

type timeData struct {
	Time int64 `json:"time"`
}

// strict decodes b into v refusing unknown fields, trailing data and null.
func strict(b []byte, v any, path string) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) || len(bytes.TrimSpace(b)) == 0 {
		return invalid(path, "missing")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field, _ := strconv.Unquote(name)
			return &Error{Path: joinPath(path, field), Reason: fmt.Sprintf("unknown field %s", name), Err: ErrUnknown}
		}
		return invalid(path, "%v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return invalid(path, "data after the object")
	}
	return nil
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// Parse reads a grant document strictly: unknown fields and permission types are
// refused with an *Error naming them, as are repeated permissions, zero counts and
// contradictions (a per-transaction limit above the total, valid-after not before
// expiry).
func Parse(b []byte) (*Grant, error) {
	if len(b) > MaxDocumentSize {
		return nil, invalid("", "%d bytes, at most %d", len(b), MaxDocumentSize)
	}
	var doc document
	if err := strict(b, &doc, ""); err != nil {
		return nil, err
	}
	if doc.Version != Version {
		return nil, invalid("version", "version %d, want %d", doc.Version, Version)
	}
	g := &Grant{}
	var err error
	if g.TargetProgram, err = publicKey(doc.TargetProgram, "targetProgram"); err != nil {
		return nil, err
	}
	if doc.Signer != "" {
		if g.Signer, err = publicKey(doc.Signer, "signer"); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, p := range doc.Permissions {
		path := fmt.Sprintf("permissions[%d]", i)
		data := path + ".data"
		if p.Type != TypeTokenLimit && seen[p.Type] {
			return nil, invalid(path, "permission %q repeated", p.Type)
		}
		seen[p.Type] = true
		switch p.Type {
		case TypeNativeTokenLimit:
			var l Limit
			if err := strict(p.Data, &l, data); err != nil {
				return nil, err
			}
			if err := l.check(data); err != nil {
				return nil, err
			}
			g.Native = &l
		case TypeTokenLimit:
			var raw struct {
				Mint string `json:"mint"`
				Limit
			}
			if err := strict(p.Data, &raw, data); err != nil {
				return nil, err
			}
			mint, err := publicKey(raw.Mint, data+".mint")
			if err != nil {
				return nil, err
			}
			if err := raw.Limit.check(data); err != nil {
				return nil, err
			}
			for _, t := range g.Tokens {
				if t.Mint == mint {
					return nil, invalid(data+".mint", "a second token-limit for mint %s", mint)
				}
			}
			if len(g.Tokens) == MaxTokenLimits {
				return nil, invalid(path, "more than %d token-limits", MaxTokenLimits)
			}
			g.Tokens = append(g.Tokens, TokenLimit{Mint: mint, Limit: raw.Limit})
		case TypeInstructions:
			var d instructionsData
			if err := strict(p.Data, &d, data); err != nil {
				return nil, err
			}
			if len(d.Allow) == 0 {
				return nil, invalid(data+".allow", "no instruction allowed; leave the permission out to allow all")
			}
			for j, name := range d.Allow {
				if err := checkInstructionName(name); err != nil {
					return nil, invalid(fmt.Sprintf("%s.allow[%d]", data, j), "%v", err)
				}
				if slices.Contains(d.Allow[:j], name) {
					return nil, invalid(fmt.Sprintf("%s.allow[%d]", data, j), "%q repeated", name)
				}
			}
			g.Instructions = d.Allow
		case TypeMaxUses:
			var d countData
			if err := strict(p.Data, &d, data); err != nil {
				return nil, err
			}
			if d.Count == 0 {
				return nil, invalid(data+".count", "zero uses")
			}
			g.MaxUses = d.Count
		case TypeRate:
			var d rateData
			if err := strict(p.Data, &d, data); err != nil {
				return nil, err
			}
			interval, err := time.ParseDuration(d.Interval)
			switch {
			case err != nil:
				return nil, invalid(data+".interval", "%q is not a duration such as \"1m\"", d.Interval)
			case interval <= 0:
				return nil, invalid(data+".interval", "%q is not positive", d.Interval)
			case d.Count == 0 || d.Count > MaxRateCount:
				return nil, invalid(data+".count", "%d moves per interval, want 1..%d", d.Count, MaxRateCount)
			}
			g.Rate = &Rate{Count: d.Count, Interval: interval}
		case TypeValidAfter, TypeExpiry:
			var d timeData
			if err := strict(p.Data, &d, data); err != nil {
				return nil, err
			}
			if d.Time <= 0 {
				return nil, invalid(data+".time", "time %d is not unix seconds after 1970", d.Time)
			}
			if p.Type == TypeValidAfter {
				g.ValidAfter = d.Time
			} else {
				g.Expiry = d.Time
			}
		case TypeCompute:
			var c Compute
			if err := strict(p.Data, &c, data); err != nil {
				return nil, err
			}
			if c == (Compute{}) {
				return nil, invalid(data, "neither maxUnitLimit nor maxUnitPrice")
			}
			g.Compute = &c
		default:
			return nil, &Error{Path: path + ".type", Reason: fmt.Sprintf("unknown permission type %q", p.Type), Err: ErrUnknown}
		}
	}
	if g.ValidAfter != 0 && g.Expiry != 0 && g.ValidAfter >= g.Expiry {
		return nil, invalid("", "valid-after %d is not before expiry %d", g.ValidAfter, g.Expiry)
	}
	return g, nil
}

func publicKey(s, path string) (solana.PublicKey, error) {
	if s == "" {
		return solana.PublicKey{}, invalid(path, "missing")
	}
	k, err := solana.PublicKeyFromBase58(s)
	if err != nil || k.String() != s {
		return solana.PublicKey{}, invalid(path, "%q is not a base58 public key", s)
	}
	if k.IsZero() {
		return solana.PublicKey{}, invalid(path, "the zero key")
	}
	return k, nil
}

func (l *Limit) check(path string) error {
	switch {
	case l.PerTransaction == nil && l.Total == nil:
		return invalid(path, "neither perTransaction nor total")
	case l.PerTransaction != nil && l.Total != nil && *l.PerTransaction > *l.Total:
		return invalid(path, "perTransaction %d above total %d", *l.PerTransaction, *l.Total)
	}
	return nil
}

// checkInstructionName accepts an Anchor name (snake_case identifier) or "0x" and 16
// lower-case hex digits.
func checkInstructionName(s string) error {
	if rest, ok := strings.CutPrefix(s, "0x"); ok {
		if len(rest) != 16 || strings.ToLower(rest) != rest {
			return fmt.Errorf("%q is not \"0x\" and 16 lower-case hex digits", s)
		}
		if _, err := hex.DecodeString(rest); err != nil {
			return fmt.Errorf("%q is not \"0x\" and 16 lower-case hex digits", s)
		}
		return nil
	}
	if s == "" || len(s) > 64 {
		return fmt.Errorf("instruction name of %d bytes", len(s))
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%q is not an instruction name", s)
		}
	}
	return nil
}

// Canonical is the grant's canonical JSON: the bytes whose hash goes on chain. A Grant
// built in code is checked as Parse checks a document: what Parse refuses, Canonical does.
func (g *Grant) Canonical() ([]byte, error) {
	b := g.encode()
	// What does not parse back must not be hashed: the hash would commit to nonsense.
	back, err := Parse(b)
	if err != nil {
		return nil, err
	}
	if again := back.encode(); !bytes.Equal(again, b) {
		return nil, invalid("", "the grant does not survive its own encoding")
	}
	return b, nil
}

// Hash is the SHA-256 of Canonical.
func (g *Grant) Hash() ([32]byte, error) {
	b, err := g.Canonical()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// MarshalJSON writes the canonical form.
func (g *Grant) MarshalJSON() ([]byte, error) { return g.Canonical() }

// UnmarshalJSON parses strictly, as Parse.
func (g *Grant) UnmarshalJSON(b []byte) error {
	p, err := Parse(b)
	if err != nil {
		return err
	}
	*g = *p
	return nil
}

// encode writes the document in canonical order. encoding/json writes struct fields
// in declaration order and nothing else varies.
func (g *Grant) encode() []byte {
	doc := document{Version: Version, TargetProgram: g.TargetProgram.String(), Permissions: []permission{}}
	if !g.Signer.IsZero() {
		doc.Signer = g.Signer.String()
	}
	add := func(typ string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("grant: encoding %s: %v", typ, err)) // plain structs of strings and integers
		}
		doc.Permissions = append(doc.Permissions, permission{Type: typ, Data: data})
	}
	if g.Native != nil {
		add(TypeNativeTokenLimit, g.Native)
	}
	tokens := slices.Clone(g.Tokens)
	slices.SortFunc(tokens, func(a, b TokenLimit) int { return bytes.Compare(a.Mint[:], b.Mint[:]) })
	for _, t := range tokens {
		add(TypeTokenLimit, struct {
			Mint string `json:"mint"`
			Limit
		}{t.Mint.String(), t.Limit})
	}
	if len(g.Instructions) > 0 {
		add(TypeInstructions, instructionsData{Allow: g.Instructions})
	}
	if g.MaxUses > 0 {
		add(TypeMaxUses, countData{Count: g.MaxUses})
	}
	if g.Rate != nil {
		add(TypeRate, rateData{Count: g.Rate.Count, Interval: formatInterval(g.Rate.Interval)})
	}
	if g.ValidAfter != 0 {
		add(TypeValidAfter, timeData{Time: g.ValidAfter})
	}
	if g.Expiry != 0 {
		add(TypeExpiry, timeData{Time: g.Expiry})
	}
	if g.Compute != nil {
		add(TypeCompute, g.Compute)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("grant: encoding: %v", err))
	}
	return b
}

// formatInterval writes a duration as time.Duration.String does, without the zero
// units it appends ("1m0s" becomes "1m").
func formatInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
