package sbfld

import (
	"fmt"
)

// ELF constants used by both the reader and the writer.
const (
	emBPF = 247

	etRel = 1
	etDyn = 3

	shtNull     = 0
	shtProgbits = 1
	shtSymtab   = 2
	shtStrtab   = 3
	shtRela     = 4
	shtDynamic  = 6
	shtNobits   = 8
	shtRel      = 9
	shtDynsym   = 11

	shfWrite     = 0x1
	shfAlloc     = 0x2
	shfExecinstr = 0x4
	shfTLS       = 0x400

	shnUndef     = 0
	shnLoReserve = 0xff00
	shnAbs       = 0xfff1
	shnCommon    = 0xfff2

	stbLocal  = 0
	stbGlobal = 1
	stbWeak   = 2

	sttNotype  = 0
	sttObject  = 1
	sttFunc    = 2
	sttSection = 3

	ehdrSize = 64
	phdrSize = 56
	shdrSize = 64
	symSize  = 24
	relSize  = 16
)

// Object is one relocatable BPF object (ET_REL, EM_BPF) as clang emits it.
type Object struct {
	Name     string
	Sections []Section // indexed by ELF section index
	Symbols  []Symbol  // indexed by ELF symbol index; [0] is the null symbol
}

// Section is one input section. Relocs are the SHT_REL entries that apply to
// it, in file order.
type Section struct {
	Name   string
	Type   uint32
	Flags  uint64
	Align  uint64
	Size   uint64
	Data   []byte // nil for SHT_NOBITS
	Relocs []Reloc
}

// Symbol is one entry of the object's symbol table.
type Symbol struct {
	Name    string
	Value   uint64
	Size    uint64
	Type    uint8 // STT_*
	Bind    uint8 // STB_*
	Section uint16
}

// Reloc is one ELF64 REL entry: no explicit addend, BPF keeps it in place.
type Reloc struct {
	Offset uint64
	Type   uint32
	Sym    uint32
}

func (s *Symbol) defined() bool {
	return s.Section != shnUndef && s.Section < shnLoReserve
}

// ReadObject parses a relocatable BPF object. name is only used in errors.
// It never panics on malformed input; every inconsistency is ErrBadObject.
func ReadObject(name string, data []byte) (*Object, error) {
	bad := func(format string, args ...any) error {
		return &LinkError{Err: ErrBadObject, Object: name, Offset: -1, Detail: fmt.Sprintf(format, args...),
			Fix: "pass objects built with clang -target bpf -mcpu=v2 -O2 -c"}
	}
	if len(data) < ehdrSize || string(data[:4]) != "\x7fELF" {
		return nil, bad("no ELF header")
	}
	if data[4] != 2 {
		return nil, bad("ELF class %d, want ELF64", data[4])
	}
	if data[5] != 1 {
		return nil, bad("big-endian object; use -target bpf or bpfel, not bpfeb")
	}
	if t := le.Uint16(data[16:]); t != etRel {
		return nil, bad("ELF type %d, want ET_REL (a .o from clang -c, not a linked file)", t)
	}
	if m := le.Uint16(data[18:]); m != emBPF {
		return nil, bad("machine %d, want EM_BPF (247)", m)
	}
	shoff := le.Uint64(data[40:])
	shentsize := le.Uint16(data[58:])
	shnum := uint64(le.Uint16(data[60:]))
	shstrndx := uint64(le.Uint16(data[62:]))
	if shnum == 0 {
		return nil, bad("no section headers")
	}
	if shentsize != shdrSize {
		return nil, bad("section header size %d, want %d", shentsize, shdrSize)
	}
	if shoff > uint64(len(data)) || shnum*shdrSize > uint64(len(data))-shoff {
		return nil, bad("section header table out of bounds")
	}
	if shstrndx >= shnum {
		return nil, bad("section name table index %d out of range", shstrndx)
	}

	type rawShdr struct {
		name, typ     uint32
		flags, off    uint64
		size          uint64
		link, info    uint32
		align, entsze uint64
	}
	raw := make([]rawShdr, shnum)
	obj := &Object{Name: name, Sections: make([]Section, shnum)}
	for i := range raw {
		h := data[shoff+uint64(i)*shdrSize:]
		r := rawShdr{
			name: le.Uint32(h[0:]), typ: le.Uint32(h[4:]), flags: le.Uint64(h[8:]),
			off: le.Uint64(h[24:]), size: le.Uint64(h[32:]), link: le.Uint32(h[40:]),
			info: le.Uint32(h[44:]), align: le.Uint64(h[48:]), entsze: le.Uint64(h[56:]),
		}
		raw[i] = r
		s := &obj.Sections[i]
		s.Type, s.Flags, s.Align, s.Size = r.typ, r.flags, r.align, r.size
		if r.typ != shtNobits && r.typ != shtNull {
			if r.off > uint64(len(data)) || r.size > uint64(len(data))-r.off {
				return nil, bad("section %d data out of bounds", i)
			}
			s.Data = data[r.off : r.off+r.size : r.off+r.size]
		}
	}
	shstr := obj.Sections[shstrndx]
	if raw[shstrndx].typ != shtStrtab {
		return nil, bad("section name table is not SHT_STRTAB")
	}
	for i := range raw {
		n, ok := cstring(shstr.Data, raw[i].name)
		if !ok {
			return nil, bad("section %d name out of bounds", i)
		}
		obj.Sections[i].Name = n
	}

	symtab := -1
	for i, r := range raw {
		if r.typ != shtSymtab {
			continue
		}
		if symtab >= 0 {
			return nil, bad("more than one symbol table")
		}
		symtab = i
	}
	if symtab >= 0 {
		r := raw[symtab]
		if r.entsze != symSize || r.size%symSize != 0 {
			return nil, bad("symbol table entry size %d, want %d", r.entsze, symSize)
		}
		if uint64(r.link) >= shnum || raw[r.link].typ != shtStrtab {
			return nil, bad("symbol table has no string table")
		}
		strs := obj.Sections[r.link].Data
		tab := obj.Sections[symtab].Data
		obj.Symbols = make([]Symbol, len(tab)/symSize)
		for i := range obj.Symbols {
			e := tab[i*symSize:]
			n, ok := cstring(strs, le.Uint32(e[0:]))
			if !ok {
				return nil, bad("symbol %d name out of bounds", i)
			}
			sym := Symbol{
				Name: n, Type: e[4] & 0xf, Bind: e[4] >> 4,
				Section: le.Uint16(e[6:]), Value: le.Uint64(e[8:]), Size: le.Uint64(e[16:]),
			}
			if sym.defined() && uint64(sym.Section) >= shnum {
				return nil, bad("symbol %q in section %d, which does not exist", n, sym.Section)
			}
			if sym.Section == 0xffff {
				return nil, bad("symbol %q uses extended section indexes (SHN_XINDEX)", n)
			}
			obj.Symbols[i] = sym
		}
	}

	for i, r := range raw {
		if r.typ != shtRel && r.typ != shtRela {
			continue
		}
		if uint64(r.info) >= shnum {
			return nil, bad("relocation section %q targets section %d, which does not exist", obj.Sections[i].Name, r.info)
		}
		target := &obj.Sections[r.info]
		if target.Flags&shfAlloc == 0 {
			continue // debug info and BTF: not part of the program image
		}
		if r.typ == shtRela {
			return nil, bad("RELA relocations in %q; BPF objects use REL", obj.Sections[i].Name)
		}
		if r.entsze != relSize || r.size%relSize != 0 {
			return nil, bad("relocation entry size %d in %q, want %d", r.entsze, obj.Sections[i].Name, relSize)
		}
		if int(r.link) != symtab || symtab < 0 {
			return nil, bad("relocation section %q does not use the symbol table", obj.Sections[i].Name)
		}
		tab := obj.Sections[i].Data
		for j := 0; j+relSize <= len(tab); j += relSize {
			info := le.Uint64(tab[j+8:])
			rel := Reloc{Offset: le.Uint64(tab[j:]), Type: uint32(info), Sym: uint32(info >> 32)}
			if uint64(rel.Sym) >= uint64(len(obj.Symbols)) {
				return nil, bad("relocation in %q uses symbol %d, which does not exist", obj.Sections[i].Name, rel.Sym)
			}
			target.Relocs = append(target.Relocs, rel)
		}
	}
	return obj, nil
}

// cstring returns the NUL-terminated string at off in tab.
func cstring(tab []byte, off uint32) (string, bool) {
	if uint64(off) >= uint64(len(tab)) {
		return "", off == 0 && len(tab) == 0
	}
	for i := int(off); i < len(tab); i++ {
		if tab[i] == 0 {
			return string(tab[off:i]), true
		}
	}
	return "", false
}
