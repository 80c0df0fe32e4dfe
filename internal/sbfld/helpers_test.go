package sbfld

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func readFixture(t testing.TB, name string) *Object {
	t.Helper()
	path := filepath.Join("testdata", name+".o")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := ReadObject(name+".o", data)
	if err != nil {
		t.Fatalf("ReadObject(%s): %v", path, err)
	}
	return obj
}

func linkFixtures(t testing.TB, opt Params, names ...string) ([]byte, error) {
	t.Helper()
	objs := make([]*Object, len(names))
	for i, n := range names {
		objs[i] = readFixture(t, n)
	}
	return Link(objs, opt)
}

func mustLink(t testing.TB, arch Arch, names ...string) []byte {
	t.Helper()
	out, err := linkFixtures(t, Params{Arch: arch}, names...)
	if err != nil {
		t.Fatalf("Link(%v, %v): %v", names, arch, err)
	}
	return out
}

// insn is one decoded instruction of linked output.
type insn struct {
	off      uint64 // byte offset in .text
	op       byte
	dst, src byte
	offset   int16
	imm      int32
	imm64    uint64 // lddw only: both immediates
}

func decode(text []byte) []insn {
	var out []insn
	for off := 0; off+insnSize <= len(text); off += insnSize {
		b := text[off:]
		in := insn{
			off: uint64(off), op: b[0], dst: b[1] & 0xf, src: b[1] >> 4,
			offset: int16(binary.LittleEndian.Uint16(b[2:])), imm: int32(binary.LittleEndian.Uint32(b[4:])),
		}
		if in.op == opLddw && off+2*insnSize <= len(text) {
			in.imm64 = uint64(uint32(in.imm)) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
			off += insnSize
		}
		out = append(out, in)
	}
	return out
}

// linked is a parsed output file.
type linked struct {
	raw  []byte
	f    *elf.File
	text []byte
	// textAddr is the address of text[0] as the program sees it before the
	// loader adds anything (v0: file offset; v3: 1<<32).
	textAddr uint64
}

func parseLinked(t testing.TB, raw []byte) *linked {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("debug/elf rejects the output: %v", err)
	}
	text := f.Section(".text")
	if text == nil {
		t.Fatal("no .text section")
	}
	data, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	return &linked{raw: raw, f: f, text: data, textAddr: text.Addr}
}

func (l *linked) sectionData(t testing.TB, name string) (*elf.Section, []byte) {
	t.Helper()
	s := l.f.Section(name)
	if s == nil {
		t.Fatalf("no %s section", name)
	}
	d, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// funcStarts maps .symtab function addresses to names.
func (l *linked) funcStarts(t testing.TB) map[uint64]string {
	t.Helper()
	syms, err := l.f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint64]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			m[s.Value] = s.Name
		}
	}
	return m
}
