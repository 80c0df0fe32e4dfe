package sbfld

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadObject(t *testing.T) {
	obj := readFixture(t, "multi_lib")
	var names []string
	for _, s := range obj.Sections {
		if s.Flags&shfAlloc != 0 {
			names = append(names, s.Name)
		}
	}
	if got := strings.Join(names, " "); got != ".text .rodata .rodata.str1.1" {
		t.Errorf("allocated sections %q", got)
	}
	var ro *Section
	for i := range obj.Sections {
		if obj.Sections[i].Name == ".rodata" {
			ro = &obj.Sections[i]
		}
	}
	if ro.Size != 32 || len(ro.Relocs) != 4 {
		t.Fatalf(".rodata size %d with %d relocations, want 32 and 4", ro.Size, len(ro.Relocs))
	}
	for i, r := range ro.Relocs {
		if r.Offset != uint64(8*i) || r.Type != rBPF64Abs64 || obj.Symbols[r.Sym].Type != sttSection {
			t.Errorf("relocation %d = %+v", i, r)
		}
	}
	found := map[string]bool{}
	for _, s := range obj.Symbols {
		if s.Type == sttFunc {
			found[s.Name] = s.Bind == stbGlobal
		}
	}
	if !found["lib_len"] || !found["lib_sum"] || !found["lib_word"] || found["add"] {
		t.Errorf("function symbols %v: want global lib_len, lib_sum, lib_word and local add", found)
	}
}

func TestReadObjectErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "hello.o"))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	shoff := le.Uint64(good[40:])
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "no ELF header"},
		{"text file", []byte("int main(void) { return 0; }\n" + strings.Repeat(" ", 64)), "no ELF header"},
		{"ELF32", mutate(func(b []byte) []byte { b[4] = 1; return b }), "ELF64"},
		{"big endian", mutate(func(b []byte) []byte { b[5] = 2; return b }), "bpfeb"},
		{"linked", mutate(func(b []byte) []byte { le.PutUint16(b[16:], etDyn); return b }), "ET_REL"},
		{"x86", mutate(func(b []byte) []byte { le.PutUint16(b[18:], 62); return b }), "EM_BPF"},
		{"truncated", good[:shoff+10], "out of bounds"},
		{"bad shentsize", mutate(func(b []byte) []byte { le.PutUint16(b[58:], 40); return b }), "section header size"},
		{"bad shstrndx", mutate(func(b []byte) []byte { le.PutUint16(b[62:], 99); return b }), "out of range"},
		{"no sections", mutate(func(b []byte) []byte { le.PutUint16(b[60:], 0); return b }), "no section headers"},
		{"section past end", mutate(func(b []byte) []byte {
			le.PutUint64(b[shoff+shdrSize+32:], 1<<40) // section 1 size
			return b
		}), "out of bounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadObject("x.o", tt.data)
			if !errors.Is(err, ErrBadObject) || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "x.o: ") {
				t.Errorf("err = %v, want ErrBadObject mentioning %q", err, tt.msg)
			}
		})
	}
}

// FuzzReadObject: no input makes the reader or the linker panic, and
// whatever links, links the same way twice.
func FuzzReadObject(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.o"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := ReadObject("fuzz.o", data)
		if err != nil {
			if !errors.Is(err, ErrBadObject) {
				t.Fatalf("reader error not ErrBadObject: %v", err)
			}
			return
		}
		for _, arch := range []Arch{V0, V3} {
			a, errA := Link([]*Object{obj}, Params{Arch: arch})
			b, errB := Link([]*Object{obj}, Params{Arch: arch})
			if (errA == nil) != (errB == nil) || !bytes.Equal(a, b) {
				t.Fatalf("%v: two links of one input differ", arch)
			}
		}
	})
}
