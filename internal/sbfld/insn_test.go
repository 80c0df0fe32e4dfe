package sbfld

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func encode(op, regs byte, off int16, imm int32) []byte {
	b := make([]byte, insnSize)
	b[0], b[1] = op, regs
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], uint32(imm))
	return b
}

func TestCheckInsn(t *testing.T) {
	lddw := append(encode(0x18, 0x01, 0, 5), encode(0, 0, 0, 0)...)
	tests := []struct {
		name  string
		code  []byte
		width int
		err   error
		msg   string
	}{
		{"mov64 imm", encode(0xb7, 0x01, 0, 7), 1, nil, ""},
		{"add64 reg", encode(0x0f, 0x21, 0, 0), 1, nil, ""},
		{"neg64", encode(0x87, 0x01, 0, 0), 1, nil, ""},
		{"ldxdw", encode(0x79, 0x21, 8, 0), 1, nil, ""},
		{"stxb", encode(0x73, 0x21, -8, 0), 1, nil, ""},
		{"stdw imm", encode(0x7a, 0x0a, -8, 3), 1, nil, ""},
		{"le16", encode(0xd4, 0x01, 0, 16), 1, nil, ""},
		{"be64", encode(0xdc, 0x01, 0, 64), 1, nil, ""},
		{"jne", encode(0x55, 0x01, 3, 0), 1, nil, ""},
		{"ja", encode(0x05, 0x00, 3, 0), 1, nil, ""},
		{"exit", encode(0x95, 0, 0, 0), 1, nil, ""},
		{"call", encode(0x85, 0x10, 0, 4), 1, nil, ""},
		{"lddw", lddw, 2, nil, ""},
		{"add32", encode(0x04, 0x01, 0, 1), 1, ErrALU32, "add32"},
		{"mov32 reg", encode(0xbc, 0x21, 0, 0), 1, ErrALU32, "mov32"},
		{"jeq32", encode(0x16, 0x01, 2, 0), 1, ErrALU32, "jeq32"},
		{"le with bad width", encode(0xd4, 0x01, 0, 8), 1, ErrInstruction, "byte swap width 8"},
		{"sdiv64 (v4)", encode(0x3f, 0x21, 1, 0), 1, ErrInstruction, "-mcpu=v2"},
		{"movsx (v4)", encode(0xbf, 0x21, 8, 0), 1, ErrInstruction, "sign-extending move"},
		{"bswap (v4)", encode(0xd7, 0x01, 0, 64), 1, ErrInstruction, "byte swap"},
		{"ldsx (v4)", encode(0x91, 0x21, 0, 0), 1, ErrInstruction, "sign-extending load"},
		{"atomic add", encode(0xdb, 0x21, 0, 0), 1, ErrInstruction, "atomic"},
		{"ld_abs", encode(0x20, 0, 0, 0), 1, ErrInstruction, "ld_abs"},
		{"lddw map fd", append(encode(0x18, 0x11, 0, 5), encode(0, 0, 0, 0)...), 1, ErrInstruction, "map"},
		{"lddw truncated", encode(0x18, 0x01, 0, 5), 1, ErrInstruction, "truncated"},
		{"callx", encode(0x8d, 0, 0, 2), 1, ErrFunctionPointer, "callx"},
		{"gotox", encode(0x0d, 0x01, 0, 0), 1, ErrInstruction, "jump"},
		{"may_goto", encode(0xe5, 0, 0, 0), 1, ErrInstruction, "jump"},
		{"div by zero", encode(0x37, 0x01, 0, 0), 1, ErrInstruction, "zero"},
		{"shift by 64", encode(0x67, 0x01, 0, 64), 1, ErrInstruction, "shift by 64"},
		{"register r11", encode(0xb7, 0x0b, 0, 0), 1, ErrInstruction, "r11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			width, prob := checkInsn(tt.code, 0)
			if width != tt.width {
				t.Errorf("width = %d, want %d", width, tt.width)
			}
			if tt.err == nil {
				if prob != nil {
					t.Fatalf("rejected: %+v", prob)
				}
				return
			}
			if prob == nil || !errors.Is(prob.err, tt.err) {
				t.Fatalf("problem = %+v, want %v", prob, tt.err)
			}
			if !strings.Contains(prob.detail+prob.fix, tt.msg) {
				t.Errorf("%q / %q does not mention %q", prob.detail, prob.fix, tt.msg)
			}
		})
	}
}

// Instruction problems reach the caller as located *LinkErrors.
func TestLinkRefusesPatchedInstructions(t *testing.T) {
	tests := []struct {
		name  string
		patch []byte // replaces the 3rd instruction of hello.o (r2 = 16)
		want  error
		msg   string
	}{
		{"helper call", encode(0x85, 0x00, 0, 6), ErrInstruction, "BPF helper #6"},
		{"unrelocated call -1", encode(0x85, 0x00, 0, -1), ErrRelocation, "no relocation"},
		{"local call out of section", encode(0x85, 0x10, 0, 100), ErrInstruction, "outside its section"},
		{"self call", encode(0x85, 0x10, 0, -1), ErrInstruction, "itself"},
		{"atomic", encode(0xdb, 0x21, 0, 0), ErrInstruction, "atomic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := readFixture(t, "hello")
			text := textSection(t, obj)
			patched := append([]byte(nil), text.Data...)
			copy(patched[2*insnSize:], tt.patch)
			text.Data = patched
			_, err := Link([]*Object{obj}, Params{})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
			var le *LinkError
			if !errors.As(err, &le) || le.Object != "hello.o" || le.Section != ".text" || le.Offset != 16 || le.Func != "entrypoint" {
				t.Errorf("location = %+v", le)
			}
		})
	}
}

func textSection(t *testing.T, obj *Object) *Section {
	t.Helper()
	for i := range obj.Sections {
		if obj.Sections[i].Name == ".text" {
			return &obj.Sections[i]
		}
	}
	t.Fatal("no .text")
	return nil
}

func TestLinkRefusesPatchedRelocations(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(obj *Object)
		want   error
		msg    string
	}{
		{"unknown type on lddw", func(o *Object) { textRelocs(o)[0].Type = 7 }, ErrRelocation, "type 7 on lddw"},
		{"reloc on mov", func(o *Object) { textRelocs(o)[0].Offset = 16 }, ErrRelocation, "opcode 0xb7"},
		{"reloc inside lddw", func(o *Object) { textRelocs(o)[0].Offset = 8 }, ErrRelocation, "not at the start"},
		{"call relocation type", func(o *Object) { textRelocs(o)[1].Type = rBPF64_64 }, ErrRelocation, "type 1 on call"},
		{"undefined data", func(o *Object) {
			o.Symbols = append(o.Symbols, Symbol{Name: "missing_table", Bind: stbGlobal})
			textRelocs(o)[0].Sym = uint32(len(o.Symbols) - 1)
		}, ErrUndefined, `"missing_table"`},
		{"call to data", func(o *Object) { textRelocs(o)[1].Sym = textRelocs(o)[0].Sym }, ErrRelocation, "call to non-code symbol"},
		{"data in debug section", func(o *Object) {
			o.Symbols = append(o.Symbols, Symbol{Name: "note", Bind: stbGlobal, Type: sttObject, Section: uint16(len(o.Sections) - 1)})
			textRelocs(o)[0].Sym = uint32(len(o.Symbols) - 1)
		}, ErrRelocation, "not loaded"},
		{"pointer past the end", func(o *Object) {
			o.Symbols[textRelocs(o)[0].Sym].Value = 1 << 20
		}, ErrRelocation, "outside read-only data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := readFixture(t, "hello")
			tt.mutate(obj)
			_, err := Link([]*Object{obj}, Params{})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
		})
	}
}

func textRelocs(o *Object) []Reloc {
	for i := range o.Sections {
		if o.Sections[i].Name == ".text" {
			return o.Sections[i].Relocs
		}
	}
	return nil
}
