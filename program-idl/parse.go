package programidl

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gagliardetto/solana-go"
)

type rawIDL struct {
	Address  string `json:"address"`
	Metadata struct {
		Name        string `json:"name"`
		Version     string `json:"version"`
		Spec        string `json:"spec"`
		Description string `json:"description"`
		Address     string `json:"address"` // legacy IDLs emitted by `anchor build` put it here
	} `json:"metadata"`
	Name         string           `json:"name"`    // legacy
	Version      string           `json:"version"` // legacy
	Instructions []rawInstruction `json:"instructions"`
	Accounts     []rawAccountDef  `json:"accounts"`
	Types        []rawTypeDef     `json:"types"`
	Errors       []Error          `json:"errors"`
}

type rawInstruction struct {
	Name          string           `json:"name"`
	Docs          []string         `json:"docs"`
	Discriminator byteList         `json:"discriminator"`
	Accounts      []rawAccountItem `json:"accounts"`
	Args          []rawField       `json:"args"`
}

type rawAccountItem struct {
	Name       string           `json:"name"`
	Docs       []string         `json:"docs"`
	Writable   bool             `json:"writable"`
	Signer     bool             `json:"signer"`
	Optional   bool             `json:"optional"`
	IsMut      bool             `json:"isMut"`
	IsSigner   bool             `json:"isSigner"`
	IsOptional bool             `json:"isOptional"`
	Address    string           `json:"address"`
	PDA        *rawPDA          `json:"pda"`
	Relations  []string         `json:"relations"`
	Accounts   []rawAccountItem `json:"accounts"` // composite group
}

type rawPDA struct {
	Seeds   []rawSeed `json:"seeds"`
	Program *rawSeed  `json:"program"`
}

type rawSeed struct {
	Kind    string          `json:"kind"`
	Type    json.RawMessage `json:"type"` // legacy only
	Value   json.RawMessage `json:"value"`
	Path    string          `json:"path"`
	Account string          `json:"account"`
}

type rawField struct {
	Name string          `json:"name"`
	Docs []string        `json:"docs"`
	Type json.RawMessage `json:"type"`
}

type rawTypeBody struct {
	Kind     string          `json:"kind"`
	Fields   json.RawMessage `json:"fields"`
	Variants []struct {
		Name   string          `json:"name"`
		Fields json.RawMessage `json:"fields"`
	} `json:"variants"`
	Alias json.RawMessage `json:"alias"`
}

type rawTypeDef struct {
	Name string      `json:"name"`
	Docs []string    `json:"docs"`
	Type rawTypeBody `json:"type"`
}

type rawAccountDef struct {
	Name          string       `json:"name"`
	Discriminator byteList     `json:"discriminator"`
	Type          *rawTypeBody `json:"type"` // legacy: the layout is inline
}

// byteList is a JSON array of byte values. A plain []byte field would also accept a
// base64 string, which no IDL dialect uses for bytes.
type byteList []byte

func (b *byteList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '[' {
		return fmt.Errorf("%s is not an array of bytes", data)
	}
	return json.Unmarshal(data, (*[]uint8)(b))
}

// parser carries the dialect through the conversion.
type parser struct{ legacy bool }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidIDL}, args...)...)
}

// Parse reads an Anchor IDL in either dialect. A document with metadata.spec is read as
// the 0.30+ spec; one with a top-level name as legacy, whose names are converted to
// snake_case and whose discriminators are computed as Anchor does (sha256 of
// "global:<snake_name>" / "account:<Name>", first 8 bytes). Supported types: bool,
// integers up to 256 bits, f32/f64, string, bytes, pubkey, option, coption, vec, fixed
// arrays and defined types; generics are reported as errors.
func Parse(data []byte) (*IDL, error) {
	var raw rawIDL
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("%v", err)
	}
	if dec.More() {
		return nil, invalid("trailing data after the IDL object")
	}
	idl := &IDL{}
	p := parser{}
	switch {
	case raw.Metadata.Spec != "":
		idl.Format = FormatSpec
		idl.Address = raw.Address
		idl.Name, idl.Version, idl.Spec = raw.Metadata.Name, raw.Metadata.Version, raw.Metadata.Spec
		idl.Description = raw.Metadata.Description
	case raw.Name != "":
		p.legacy = true
		idl.Format = FormatLegacy
		idl.Address = raw.Metadata.Address
		idl.Name, idl.Version = raw.Name, raw.Version
	default:
		return nil, invalid("neither metadata.spec (Anchor 0.30+) nor name (legacy) is set")
	}
	if idl.Address != "" {
		if _, err := solana.PublicKeyFromBase58(idl.Address); err != nil {
			return nil, invalid("address %q: %v", idl.Address, err)
		}
	}

	for i, rt := range raw.Types {
		td, err := p.typeDef(rt.Name, rt.Docs, &rt.Type)
		if err != nil {
			return nil, fmt.Errorf("types[%d]: %w", i, err)
		}
		idl.Types = append(idl.Types, td)
	}
	for i, ri := range raw.Instructions {
		ix, err := p.instruction(ri)
		if err != nil {
			return nil, fmt.Errorf("instructions[%d] (%s): %w", i, ri.Name, err)
		}
		idl.Instructions = append(idl.Instructions, ix)
	}
	for i, ra := range raw.Accounts {
		acc, err := p.account(idl, ra)
		if err != nil {
			return nil, fmt.Errorf("accounts[%d] (%s): %w", i, ra.Name, err)
		}
		idl.Accounts = append(idl.Accounts, acc)
	}
	for _, e := range raw.Errors {
		if e.Name == "" {
			return nil, invalid("error %d has no name", e.Code)
		}
	}
	idl.Errors = raw.Errors
	return idl, nil
}

func (p parser) name(s string) string {
	if p.legacy {
		return toSnake(s)
	}
	return s
}

func (p parser) instruction(ri rawInstruction) (Instruction, error) {
	if ri.Name == "" {
		return Instruction{}, invalid("instruction without a name")
	}
	ix := Instruction{Name: p.name(ri.Name), Docs: ri.Docs}
	switch {
	case len(ri.Discriminator) > 0:
		ix.Discriminator = ri.Discriminator
	case p.legacy:
		sum := sha256.Sum256([]byte("global:" + ix.Name))
		ix.Discriminator = sum[:8]
	default:
		return ix, invalid("instruction %s has no discriminator", ix.Name)
	}
	accounts, err := p.accountItems(ri.Accounts, "")
	if err != nil {
		return ix, err
	}
	ix.Accounts = accounts
	ix.Args, err = p.namedFields(ri.Args)
	return ix, err
}

func (p parser) accountItems(items []rawAccountItem, group string) ([]InstructionAccount, error) {
	var out []InstructionAccount
	for _, it := range items {
		if it.Name == "" {
			return nil, invalid("instruction account without a name")
		}
		name := group + p.name(it.Name)
		if it.Accounts != nil {
			members, err := p.accountItems(it.Accounts, name+".")
			if err != nil {
				return nil, err
			}
			out = append(out, members...)
			continue
		}
		acc := InstructionAccount{
			Name:      name,
			Writable:  it.Writable || it.IsMut,
			Signer:    it.Signer || it.IsSigner,
			Optional:  it.Optional || it.IsOptional,
			Address:   it.Address,
			Relations: it.Relations,
			Docs:      it.Docs,
		}
		if acc.Address != "" {
			if _, err := solana.PublicKeyFromBase58(acc.Address); err != nil {
				return nil, invalid("account %s address %q: %v", name, acc.Address, err)
			}
		}
		if it.PDA != nil {
			pda, err := p.pda(it.PDA)
			if err != nil {
				return nil, fmt.Errorf("account %s: %w", name, err)
			}
			acc.PDA = pda
		}
		out = append(out, acc)
	}
	return out, nil
}

func (p parser) pda(rp *rawPDA) (*PDA, error) {
	out := &PDA{}
	for i := range rp.Seeds {
		s, err := p.seed(&rp.Seeds[i])
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", i, err)
		}
		out.Seeds = append(out.Seeds, s)
	}
	if rp.Program != nil {
		s, err := p.seed(rp.Program)
		if err != nil {
			return nil, fmt.Errorf("program seed: %w", err)
		}
		out.Program = &s
	}
	return out, nil
}

func (p parser) seed(rs *rawSeed) (Seed, error) {
	s := Seed{Kind: SeedKind(rs.Kind), Account: rs.Account}
	switch s.Kind {
	case SeedConst:
		v, err := p.constSeed(rs)
		if err != nil {
			return s, err
		}
		s.Value = v
	case SeedArg, SeedAccount:
		if rs.Path == "" {
			return s, invalid("%s seed without a path", s.Kind)
		}
		segs := strings.Split(rs.Path, ".")
		for i := range segs {
			segs[i] = p.name(segs[i])
		}
		s.Path = strings.Join(segs, ".")
	default:
		return s, invalid("unknown seed kind %q", rs.Kind)
	}
	return s, nil
}

// constSeed decodes a const seed value: a byte array in both dialects, or in legacy IDLs
// a string (UTF-8 bytes, or base58 when typed publicKey).
func (p parser) constSeed(rs *rawSeed) ([]byte, error) {
	var b byteList
	if err := json.Unmarshal(rs.Value, &b); err == nil {
		return b, nil
	}
	var str string
	if !p.legacy || json.Unmarshal(rs.Value, &str) != nil {
		return nil, invalid("const seed value %s is not a byte array", rs.Value)
	}
	var typ string
	_ = json.Unmarshal(rs.Type, &typ) // non-string types fall through to "bytes of the string"
	if typ == "publicKey" || typ == "pubkey" {
		pk, err := solana.PublicKeyFromBase58(str)
		if err != nil {
			return nil, invalid("const seed %q: %v", str, err)
		}
		return pk[:], nil
	}
	return []byte(str), nil
}

func (p parser) account(idl *IDL, ra rawAccountDef) (Account, error) {
	acc := Account{Name: ra.Name, Discriminator: ra.Discriminator}
	if ra.Name == "" {
		return acc, invalid("account without a name")
	}
	if p.legacy {
		sum := sha256.Sum256([]byte("account:" + ra.Name))
		acc.Discriminator = sum[:8]
		if ra.Type != nil {
			td, err := p.typeDef(ra.Name, nil, ra.Type)
			if err != nil {
				return acc, err
			}
			if _, err := idl.Type(ra.Name); err != nil {
				idl.Types = append(idl.Types, td)
			}
		}
	} else if len(acc.Discriminator) == 0 {
		return acc, invalid("account %s has no discriminator", ra.Name)
	}
	td, err := idl.Type(ra.Name)
	if err != nil {
		return acc, invalid("account %s has no type definition", ra.Name)
	}
	if td.Kind != "struct" {
		return acc, invalid("account %s is a %s, not a struct", ra.Name, td.Kind)
	}
	acc.Fields = td.Fields
	return acc, nil
}

func (p parser) typeDef(name string, docs []string, body *rawTypeBody) (TypeDef, error) {
	td := TypeDef{Name: name, Kind: body.Kind, Docs: docs}
	if name == "" {
		return td, invalid("type without a name")
	}
	var err error
	switch body.Kind {
	case "struct":
		td.Fields, err = p.fields(body.Fields)
	case "enum":
		for _, rv := range body.Variants {
			v := Variant{Name: rv.Name}
			if v.Fields, err = p.fields(rv.Fields); err != nil {
				return td, fmt.Errorf("type %s variant %s: %w", name, rv.Name, err)
			}
			td.Variants = append(td.Variants, v)
		}
	case "type":
		var t Type
		t, err = p.typ(body.Alias)
		td.Alias = &t
	default:
		return td, invalid("type %s has unsupported kind %q", name, body.Kind)
	}
	if err != nil {
		return td, fmt.Errorf("type %s: %w", name, err)
	}
	return td, nil
}

// fields decodes struct or variant fields: named ({"name","type"} objects) or tuple
// (bare types).
func (p parser) fields(raw json.RawMessage) ([]Field, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var named []rawField
	if err := json.Unmarshal(raw, &named); err == nil && allNamed(named) {
		return p.namedFields(named)
	}
	var tuple []json.RawMessage
	if err := json.Unmarshal(raw, &tuple); err != nil {
		return nil, invalid("fields %s: %v", raw, err)
	}
	out := make([]Field, 0, len(tuple))
	for i, rt := range tuple {
		t, err := p.typ(rt)
		if err != nil {
			return nil, fmt.Errorf("tuple field %d: %w", i, err)
		}
		out = append(out, Field{Type: t})
	}
	return out, nil
}

func allNamed(fs []rawField) bool {
	for _, f := range fs {
		if f.Name == "" || len(f.Type) == 0 {
			return false
		}
	}
	return true
}

func (p parser) namedFields(raw []rawField) ([]Field, error) {
	out := make([]Field, 0, len(raw))
	for _, rf := range raw {
		if rf.Name == "" {
			return nil, invalid("field without a name")
		}
		t, err := p.typ(rf.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", rf.Name, err)
		}
		out = append(out, Field{Name: p.name(rf.Name), Type: t, Docs: rf.Docs})
	}
	return out, nil
}

// isPrimitive reports whether name is a type both dialects spell as a bare string.
func isPrimitive(name string) bool {
	return primitiveSize(name) > 0 || name == "string" || name == "bytes"
}

func (p parser) typ(raw json.RawMessage) (Type, error) {
	return p.typDepth(raw, 0)
}

func (p parser) typDepth(raw json.RawMessage, depth int) (Type, error) {
	if depth > maxTypeDepth {
		return Type{}, invalid("type nested deeper than %d", maxTypeDepth)
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if name == "publicKey" {
			name = "pubkey"
		}
		if !isPrimitive(name) {
			return Type{}, invalid("unknown type %q", name)
		}
		return Type{Kind: KindPrimitive, Name: name}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || len(obj) != 1 {
		return Type{}, invalid("type %s is neither a name nor a one-key object", raw)
	}
	var key string
	var val json.RawMessage
	for key, val = range obj { // the only entry
	}
	switch key {
	case "option", "coption", "vec":
		elem, err := p.typDepth(val, depth+1)
		if err != nil {
			return Type{}, err
		}
		kind := KindVec
		if key == "option" {
			kind = KindOption
		} else if key == "coption" {
			kind = KindCOption
		}
		return Type{Kind: kind, Elem: &elem}, nil
	case "array":
		var pair []json.RawMessage
		if err := json.Unmarshal(val, &pair); err != nil || len(pair) != 2 {
			return Type{}, invalid("array type %s is not [type, length]", val)
		}
		elem, err := p.typDepth(pair[0], depth+1)
		if err != nil {
			return Type{}, err
		}
		var n int
		if err := json.Unmarshal(pair[1], &n); err != nil || n < 0 {
			return Type{}, invalid("array length %s is not a non-negative integer (generic lengths are unsupported)", pair[1])
		}
		return Type{Kind: KindArray, Elem: &elem, Len: n}, nil
	case "defined":
		return definedType(val)
	}
	return Type{}, invalid("unsupported type %q", key)
}

// definedType reads the legacy {"defined": "Name"} or the 0.30 {"defined": {"name": …}}.
func definedType(val json.RawMessage) (Type, error) {
	var def string
	if err := json.Unmarshal(val, &def); err != nil {
		var obj struct {
			Name     string            `json:"name"`
			Generics []json.RawMessage `json:"generics"`
		}
		if err := json.Unmarshal(val, &obj); err != nil {
			return Type{}, invalid("defined type %s: %v", val, err)
		}
		if len(obj.Generics) > 0 {
			return Type{}, invalid("defined type %s has generics (unsupported)", obj.Name)
		}
		def = obj.Name
	}
	if def == "" {
		return Type{}, invalid("defined type without a name")
	}
	return Type{Kind: KindDefined, Name: def}, nil
}
