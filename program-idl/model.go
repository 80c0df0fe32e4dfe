// Package programidl embeds the gpl_session Anchor IDLs and parses Anchor IDL JSON, in the
// 0.30+ spec or the legacy pre-0.30 format, into one model used for conformance checks
// and for decoding instructions (DecodeInstruction) by their IDL names and types.
package programidl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gagliardetto/solana-go"
)

// Format tells which Anchor IDL dialect a document was written in.
type Format uint8

const (
	// FormatLegacy is the pre-0.30 dialect: camelCase names, isMut/isSigner, publicKey,
	// no discriminators (they are computed during parsing).
	FormatLegacy Format = iota + 1
	// FormatSpec is the Anchor 0.30+ dialect (metadata.spec, explicit discriminators).
	FormatSpec
)

func (f Format) String() string {
	switch f {
	case FormatLegacy:
		return "legacy"
	case FormatSpec:
		return "anchor-0.30"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// IDL is a parsed Anchor IDL. Whatever the source dialect, instruction, argument, field
// and instruction-account names are snake_case and type names keep their case.
type IDL struct {
	Format Format
	// Address is the program id in base58, or "" when the document carries none (legacy
	// IDLs usually do not).
	Address      string
	Name         string
	Version      string
	Spec         string
	Description  string
	Instructions []Instruction
	Accounts     []Account
	Types        []TypeDef
	Errors       []Error
}

// Instruction is one program instruction.
type Instruction struct {
	Name          string
	Discriminator []byte
	// Accounts are in wire order; members of composite account groups are flattened in
	// place and named "group.member".
	Accounts []InstructionAccount
	Args     []Field
	Docs     []string
}

// InstructionAccount is one account an instruction expects.
type InstructionAccount struct {
	Name     string
	Writable bool
	Signer   bool
	Optional bool
	// Address is the fixed address the IDL requires (base58), or "".
	Address string
	PDA     *PDA
	// Relations are has_one links as the IDL writes them: the 0.30 spec lists them on
	// the referenced account (authority: ["session_token"]), legacy IDLs on the holder
	// (session_token: ["authority"]).
	Relations []string
	Docs      []string
}

// PDA describes how an account address is derived.
type PDA struct {
	Seeds []Seed
	// Program is the seed naming the deriving program when it is not this one.
	Program *Seed
}

// SeedKind is where a PDA seed's bytes come from.
type SeedKind string

// Seed kinds as written in the IDL.
const (
	SeedConst   SeedKind = "const"
	SeedArg     SeedKind = "arg"
	SeedAccount SeedKind = "account"
)

// Seed is one PDA seed. Value holds the bytes of a const seed; Path names the argument or
// account (snake_case, dotted for fields of an account); Account names the account type
// whose field Path refers to.
type Seed struct {
	Kind    SeedKind
	Value   []byte
	Path    string
	Account string
}

// Account is a program-owned account type.
type Account struct {
	Name          string
	Discriminator []byte
	// Fields are the account struct's fields in layout order (after the discriminator).
	Fields []Field
}

// Field is a named and typed value: an instruction argument or a struct field. Tuple
// fields have an empty Name.
type Field struct {
	Name string
	Type Type
	Docs []string
}

// TypeKind classifies a Type.
type TypeKind uint8

// Type kinds.
const (
	KindPrimitive TypeKind = iota + 1 // bool, u8…u128, i8…i128, f32, f64, string, bytes, pubkey
	KindOption                        // borsh Option<Elem>: 1-byte tag
	KindCOption                       // Solana COption<Elem>: 4-byte tag
	KindVec                           // u32 length prefix then elements
	KindArray                         // Len elements, no prefix
	KindDefined                       // a TypeDef named Name
)

// Type is an IDL type expression.
type Type struct {
	Kind TypeKind
	// Name is the primitive's name (legacy "publicKey" normalised to "pubkey") or the
	// defined type's name.
	Name string
	Elem *Type
	Len  int
}

// String renders the type the way the 0.30 IDL spells it: "u64", "pubkey",
// "option<i64>", "coption<u64>", "vec<u8>", "[u8; 32]", or the defined type's name.
func (t Type) String() string {
	switch t.Kind {
	case KindPrimitive, KindDefined:
		return t.Name
	case KindOption:
		return "option<" + t.Elem.String() + ">"
	case KindCOption:
		return "coption<" + t.Elem.String() + ">"
	case KindVec:
		return "vec<" + t.Elem.String() + ">"
	case KindArray:
		return "[" + t.Elem.String() + "; " + strconv.Itoa(t.Len) + "]"
	}
	return "invalid"
}

// TypeDef is a named struct, enum or alias from the IDL's types (legacy account types
// are included too).
type TypeDef struct {
	Name string
	// Kind is "struct", "enum" or "type" (an alias).
	Kind     string
	Fields   []Field
	Variants []Variant
	Alias    *Type
	Docs     []string
}

// Variant is one enum variant; Fields is empty for unit variants.
type Variant struct {
	Name   string
	Fields []Field
}

// Error is one program error.
type Error struct {
	Code uint32
	Name string
	Msg  string
}

var (
	// ErrInvalidIDL is wrapped by every Parse error; the message says where and what.
	ErrInvalidIDL = errors.New("programidl: invalid IDL")
	// ErrNotFound is matched by *NotFoundError.
	ErrNotFound = errors.New("programidl: not found")
)

// NotFoundError reports a lookup of a name that the IDL does not define.
type NotFoundError struct {
	Kind string // "instruction", "account", "type" or "error"
	Name string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("programidl: no %s named %q", e.Kind, e.Name)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ProgramID returns Address as a public key; ok is false when the IDL carries none.
func (idl *IDL) ProgramID() (id solana.PublicKey, ok bool) {
	if idl.Address == "" {
		return solana.PublicKey{}, false
	}
	// Parse validated Address, so this cannot fail for a parsed IDL.
	id, err := solana.PublicKeyFromBase58(idl.Address)
	return id, err == nil
}

// Instruction looks an instruction up by name, snake_case or camelCase.
func (idl *IDL) Instruction(name string) (*Instruction, error) {
	snake := toSnake(name)
	for i := range idl.Instructions {
		if idl.Instructions[i].Name == snake {
			return &idl.Instructions[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "instruction", Name: name}
}

// Account looks an account type up by its exact name (e.g. "SessionToken").
func (idl *IDL) Account(name string) (*Account, error) {
	for i := range idl.Accounts {
		if idl.Accounts[i].Name == name {
			return &idl.Accounts[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "account", Name: name}
}

// Type looks a defined type up by its exact name.
func (idl *IDL) Type(name string) (*TypeDef, error) {
	for i := range idl.Types {
		if idl.Types[i].Name == name {
			return &idl.Types[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "type", Name: name}
}

// ErrorByCode looks a program error up by its code (6000 and up for #[error_code]).
func (idl *IDL) ErrorByCode(code uint32) (*Error, error) {
	for i := range idl.Errors {
		if idl.Errors[i].Code == code {
			return &idl.Errors[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "error", Name: strconv.FormatUint(uint64(code), 10)}
}

// Account looks an instruction account up by name (snake_case or camelCase).
func (ix *Instruction) Account(name string) (*InstructionAccount, error) {
	snake := toSnake(name)
	for i := range ix.Accounts {
		if ix.Accounts[i].Name == snake {
			return &ix.Accounts[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "account", Name: ix.Name + "." + name}
}

// primitiveSize is the borsh size of a fixed-size primitive, 0 for string, bytes and
// unknown names.
func primitiveSize(name string) int {
	switch name {
	case "bool", "u8", "i8":
		return 1
	case "u16", "i16":
		return 2
	case "u32", "i32", "f32":
		return 4
	case "u64", "i64", "f64":
		return 8
	case "u128", "i128":
		return 16
	case "u256", "i256", "pubkey":
		return 32
	}
	return 0
}

// FixedSize returns the borsh-encoded size of t when every value of t has the same size;
// ok is false for options, vectors, strings, enums with payloads of different sizes and
// unknown types.
func (idl *IDL) FixedSize(t Type) (size int, ok bool) {
	return idl.fixedSize(t, 0)
}

// maxTypeDepth bounds recursion through defined types (a self-referential type has no
// fixed size anyway).
const maxTypeDepth = 32

func (idl *IDL) fixedSize(t Type, depth int) (int, bool) {
	if depth > maxTypeDepth {
		return 0, false
	}
	switch t.Kind {
	case KindPrimitive:
		n := primitiveSize(t.Name)
		return n, n > 0
	case KindArray:
		n, ok := idl.fixedSize(*t.Elem, depth+1)
		return n * t.Len, ok
	case KindDefined:
		def, err := idl.Type(t.Name)
		if err != nil {
			return 0, false
		}
		switch def.Kind {
		case "struct":
			return idl.fieldsSize(def.Fields, depth+1)
		case "type":
			return idl.fixedSize(*def.Alias, depth+1)
		case "enum":
			size := -1
			for _, v := range def.Variants {
				n, ok := idl.fieldsSize(v.Fields, depth+1)
				if !ok || (size >= 0 && n != size) {
					return 0, false
				}
				size = n
			}
			return 1 + max(size, 0), true
		}
	}
	return 0, false
}

func (idl *IDL) fieldsSize(fields []Field, depth int) (int, bool) {
	total := 0
	for _, f := range fields {
		n, ok := idl.fixedSize(f.Type, depth)
		if !ok {
			return 0, false
		}
		total += n
	}
	return total, true
}

// toSnake converts camelCase or PascalCase to snake_case the way Anchor (heck) does for
// the names found in IDLs; snake_case input is returned unchanged.
func toSnake(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			prevLowerOrDigit := i > 0 && (isLower(s[i-1]) || isDigit(s[i-1]))
			acronymEnd := i > 0 && isUpper(s[i-1]) && i+1 < len(s) && isLower(s[i+1])
			if prevLowerOrDigit || acronymEnd {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
