package sbfld

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.sha256")

// programs are the linkable fixture sets: name -> objects in link order.
var programs = []struct {
	name string
	objs []string
}{
	{"hello", []string{"hello"}},
	{"multi", []string{"multi_main", "multi_lib"}},
	{"memfns", []string{"memfns"}},
	{"funcsections", []string{"funcsections"}},
}

func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden.sha256")
	var got strings.Builder
	for _, p := range programs {
		for _, arch := range []Arch{V0, V3} {
			sum := sha256.Sum256(mustLink(t, arch, p.objs...))
			fmt.Fprintf(&got, "%s  %s_%v.so\n", hex.EncodeToString(sum[:]), p.name, arch)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("output hashes changed (if intended, run go test -run Golden -update):\ngot:\n%swant:\n%s", got.String(), want)
	}
}

func TestReproducible(t *testing.T) {
	for _, p := range programs {
		for _, arch := range []Arch{V0, V3} {
			a := mustLink(t, arch, p.objs...)
			b := mustLink(t, arch, p.objs...)
			if !bytes.Equal(a, b) {
				t.Errorf("%s %v: two links differ", p.name, arch)
			}
		}
	}
}

func TestV0Structure(t *testing.T) {
	tests := []struct {
		name         string
		objs         []string
		syscalls     []string // distinct, sorted
		callSites    int      // R_BPF_64_32 relocations
		lddwRel      int      // R_BPF_64_RELATIVE in .text
		rodataRel    int      // R_BPF_64_RELATIVE in .rodata
		wantSections []string
	}{
		{"hello", []string{"hello"}, []string{"sol_log_"}, 1, 1, 0,
			[]string{"", ".text", ".rodata", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".symtab", ".strtab", ".shstrtab"}},
		{"multi", []string{"multi_main", "multi_lib"}, []string{"sol_log_", "sol_log_64_"}, 7, 7, 4,
			[]string{"", ".text", ".rodata", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".symtab", ".strtab", ".shstrtab"}},
		{"memfns", []string{"memfns"}, []string{"sol_log_", "sol_memcpy_", "sol_memset_"}, 3, 1, 0,
			[]string{"", ".text", ".rodata", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".symtab", ".strtab", ".shstrtab"}},
		{"funcsections", []string{"funcsections"}, []string{"sol_log_64_"}, 1, 0, 0,
			[]string{"", ".text", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".symtab", ".strtab", ".shstrtab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := parseLinked(t, mustLink(t, V0, tt.objs...))
			f := l.f
			if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.OSABI != elf.ELFOSABI_NONE ||
				f.Type != elf.ET_DYN || f.Machine != elf.EM_BPF {
				t.Fatalf("header: %v %v %v %v %v", f.Class, f.Data, f.OSABI, f.Type, f.Machine)
			}
			if flags := binary.LittleEndian.Uint32(l.raw[48:]); flags != 0 {
				t.Fatalf("e_flags = %d, want 0", flags)
			}
			checkV0Sections(t, l, tt.wantSections)
			checkV0Dynamic(t, l)
			checkV0Relocations(t, l, tt.syscalls, tt.callSites, tt.lddwRel, tt.rodataRel)
			checkCalls(t, l)
			checkNoALU32(t, l)
		})
	}
}

func checkV0Sections(t *testing.T, l *linked, want []string) {
	t.Helper()
	var names []string
	var end uint64
	shoff := binary.LittleEndian.Uint64(l.raw[40:])
	phEnd := uint64(ehdrSize + phdrSize*len(l.f.Progs))
	for i, s := range l.f.Sections {
		names = append(names, s.Name)
		if len(s.Name) > 15 {
			t.Errorf("section name %q longer than 15 bytes", s.Name)
		}
		if i == 0 {
			continue
		}
		if s.Offset < end || s.Offset < phEnd {
			t.Errorf("%s at %#x overlaps the previous section or headers (end %#x)", s.Name, s.Offset, end)
		}
		end = s.Offset + s.Size
		if end > shoff {
			t.Errorf("%s overlaps the section header table", s.Name)
		}
		if s.Flags&elf.SHF_ALLOC != 0 && s.Addr != s.Offset {
			t.Errorf("%s: vaddr %#x != offset %#x", s.Name, s.Addr, s.Offset)
		}
		if s.Flags&elf.SHF_WRITE != 0 {
			t.Errorf("%s is writable", s.Name)
		}
		switch s.Name {
		case ".text", ".rodata", ".dynamic", ".dynsym", ".rel.dyn", ".symtab":
			if s.Offset%8 != 0 {
				t.Errorf("%s at %#x is not 8-aligned", s.Name, s.Offset)
			}
		}
	}
	if shoff%8 != 0 {
		t.Errorf("section header table at %#x is not 8-aligned", shoff)
	}
	if !slices.Equal(names, want) {
		t.Errorf("sections %q, want %q", names, want)
	}
	text := l.f.Section(".text")
	if l.f.Entry < text.Addr || l.f.Entry >= text.Addr+text.Size || (l.f.Entry-text.Addr)%8 != 0 {
		t.Errorf("entry %#x not an instruction in .text [%#x,%#x)", l.f.Entry, text.Addr, text.Addr+text.Size)
	}
	if l.funcStarts(t)[l.f.Entry] != "entrypoint" {
		t.Errorf("entry %#x is not the entrypoint symbol", l.f.Entry)
	}
	dyn, err := l.f.DynamicSymbols()
	if err != nil || len(dyn) == 0 || dyn[0].Name != "entrypoint" || dyn[0].Value != l.f.Entry {
		t.Errorf("first dynamic symbol = %+v (%v), want exported entrypoint", dyn, err)
	}
}

func checkV0Dynamic(t *testing.T, l *linked) {
	t.Helper()
	var load, dynamic []*elf.Prog
	for _, p := range l.f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			load = append(load, p)
		case elf.PT_DYNAMIC:
			dynamic = append(dynamic, p)
		}
	}
	dynSec := l.f.Section(".dynamic")
	if len(dynamic) != 1 || dynamic[0].Off != dynSec.Offset || dynamic[0].Filesz != dynSec.Size {
		t.Fatalf("PT_DYNAMIC %+v does not cover .dynamic at %#x", dynamic, dynSec.Offset)
	}
	text := l.f.Section(".text")
	if load[0].Off != text.Offset || load[0].Filesz != text.Size || load[0].Flags != elf.PF_R|elf.PF_X {
		t.Errorf("first PT_LOAD %+v is not .text", load[0].ProgHeader)
	}
	for i := 1; i < len(load); i++ {
		if load[i].Vaddr < load[i-1].Vaddr {
			t.Errorf("PT_LOAD headers not in ascending vaddr order")
		}
	}
	tag := func(tag elf.DynTag) uint64 {
		v, err := l.f.DynValue(tag)
		if err != nil || len(v) != 1 {
			t.Fatalf("dynamic %v: %v %v", tag, v, err)
		}
		return v[0]
	}
	rel := l.f.Section(".rel.dyn")
	if tag(elf.DT_REL) != rel.Addr || tag(elf.DT_RELSZ) != rel.Size || tag(elf.DT_RELENT) != 16 {
		t.Errorf("DT_REL/DT_RELSZ/DT_RELENT do not describe .rel.dyn")
	}
	if tag(elf.DT_SYMTAB) != l.f.Section(".dynsym").Addr || tag(elf.DT_STRTAB) != l.f.Section(".dynstr").Addr || tag(elf.DT_SYMENT) != 24 {
		t.Errorf("DT_SYMTAB/DT_STRTAB/DT_SYMENT do not describe .dynsym/.dynstr")
	}
}

func checkV0Relocations(t *testing.T, l *linked, wantSys []string, callSites, lddwRel, rodataRel int) {
	t.Helper()
	_, relData := l.sectionData(t, ".rel.dyn")
	dyn, _ := l.f.DynamicSymbols()
	text := l.f.Section(".text")
	ro := l.f.Section(".rodata")
	inRodata := func(a uint64) bool { return ro != nil && a >= ro.Addr && a < ro.Addr+ro.Size }
	var gotLddw, gotRodata, gotCalls int
	sys := map[string]bool{}
	var prev uint64
	for i := 0; i+16 <= len(relData); i += 16 {
		off := binary.LittleEndian.Uint64(relData[i:])
		info := binary.LittleEndian.Uint64(relData[i+8:])
		if off < prev {
			t.Errorf("relocations not sorted by offset")
		}
		prev = off
		switch typ, sym := uint32(info), uint32(info>>32); typ {
		case rBPF64Rel:
			if sym != 0 {
				t.Errorf("RELATIVE at %#x has symbol %d", off, sym)
			}
			if off >= text.Offset && off < text.Offset+text.Size {
				gotLddw++
				in := decode(l.raw[off : off+16])[0]
				if in.op != opLddw || !inRodata(in.imm64) {
					t.Errorf("RELATIVE at %#x: op %#x imm %#x, want lddw of a .rodata address", off, in.op, in.imm64)
				}
			} else if inRodata(off) {
				gotRodata++
				lo := binary.LittleEndian.Uint32(l.raw[off:])
				hi := binary.LittleEndian.Uint32(l.raw[off+4:])
				if lo != 0 || !inRodata(uint64(hi)) {
					t.Errorf("pointer slot at %#x = %#x:%#x, want 0 then a .rodata address", off, lo, hi)
				}
			} else {
				t.Errorf("RELATIVE at %#x outside .text and .rodata", off)
			}
		case rBPF64_32:
			gotCalls++
			in := decode(l.raw[off : off+8])[0]
			if in.op != opCall || in.src != 0 || in.imm != -1 {
				t.Errorf("syscall relocation at %#x on op %#x src %d imm %d, want call src 0 imm -1", off, in.op, in.src, in.imm)
			}
			if sym == 0 || int(sym) > len(dyn) {
				t.Fatalf("syscall relocation at %#x: symbol %d", off, sym)
			}
			s := dyn[sym-1] // debug/elf drops the null symbol
			if s.Section != elf.SHN_UNDEF || !syscalls[s.Name] {
				t.Errorf("syscall relocation at %#x against %+v", off, s)
			}
			sys[s.Name] = true
		default:
			t.Errorf("unexpected relocation type %d at %#x", typ, off)
		}
	}
	var names []string
	for n := range sys {
		names = append(names, n)
	}
	sort.Strings(names)
	if !slices.Equal(names, wantSys) || gotCalls != callSites || gotLddw != lddwRel || gotRodata != rodataRel {
		t.Errorf("syscalls %v in %d calls, %d lddw and %d pointer relocations; want %v in %d, %d, %d",
			names, gotCalls, gotLddw, gotRodata, wantSys, callSites, lddwRel, rodataRel)
	}
}

// checkCalls: every internal call is pc-relative (src 1) and lands on the
// first instruction of a function.
func checkCalls(t *testing.T, l *linked) {
	t.Helper()
	starts := l.funcStarts(t)
	n := uint64(len(l.text) / insnSize)
	for _, in := range decode(l.text) {
		if in.op != opCall || in.src != 1 {
			continue
		}
		target := int64(in.off/insnSize) + 1 + int64(in.imm)
		if target < 0 || uint64(target) >= n {
			t.Errorf("call at %#x leaves .text", in.off)
			continue
		}
		if _, ok := starts[l.textAddr+uint64(target)*insnSize]; !ok {
			t.Errorf("call at %#x lands at slot %d, not a function start", in.off, target)
		}
	}
}

func checkNoALU32(t *testing.T, l *linked) {
	t.Helper()
	for _, in := range decode(l.text) {
		if cls := in.op & 7; cls == 6 || (cls == 4 && in.op != 0xd4 && in.op != 0xdc) {
			t.Errorf("32-bit instruction %#x at %#x", in.op, in.off)
		}
	}
}

func TestV3Structure(t *testing.T) {
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			raw := mustLink(t, V3, p.objs...)
			l := parseLinked(t, raw)
			if flags := binary.LittleEndian.Uint32(raw[48:]); flags != 3 {
				t.Fatalf("e_flags = %d, want 3", flags)
			}
			if l.f.Type != elf.ET_DYN || l.f.Machine != elf.EM_BPF || binary.LittleEndian.Uint64(raw[32:]) != ehdrSize {
				t.Fatalf("header: %v %v phoff %d", l.f.Type, l.f.Machine, binary.LittleEndian.Uint64(raw[32:]))
			}
			ph := l.f.Progs
			if len(ph) != 2 {
				t.Fatalf("%d program headers, want 2", len(ph))
			}
			ro, code := ph[0], ph[1]
			const first = ehdrSize + 2*phdrSize
			if ro.Type != elf.PT_LOAD || ro.Flags != elf.PF_R || ro.Vaddr != 0 || ro.Paddr != 0 || ro.Off != first ||
				ro.Filesz != ro.Memsz || ro.Filesz%8 != 0 || ro.Filesz < 8 {
				t.Errorf("rodata header %+v", ro.ProgHeader)
			}
			if code.Type != elf.PT_LOAD || code.Flags != elf.PF_X || code.Vaddr != 1<<32 || code.Paddr != 1<<32 ||
				code.Off != ro.Off+ro.Filesz || code.Filesz != code.Memsz || code.Filesz%8 != 0 {
				t.Errorf("code header %+v", code.ProgHeader)
			}
			if l.f.Entry < code.Vaddr || l.f.Entry >= code.Vaddr+code.Memsz || l.f.Entry%8 != 0 {
				t.Errorf("entry %#x outside code", l.f.Entry)
			}
			if l.funcStarts(t)[l.f.Entry] != "entrypoint" {
				t.Errorf("entry %#x is not the entrypoint symbol", l.f.Entry)
			}
			for _, name := range []string{".dynamic", ".dynsym", ".rel.dyn"} {
				if l.f.Section(name) != nil {
					t.Errorf("v3 output has %s", name)
				}
			}
			rodata := raw[ro.Off : ro.Off+ro.Filesz]
			if !bytes.Equal(rodata[:8], make([]byte, 8)) {
				t.Errorf("rodata does not start with the 8-byte NULL pad")
			}
			ids := map[uint32]string{}
			for _, n := range Syscalls() {
				ids[SyscallID(n)] = n
			}
			for _, in := range decode(l.text) {
				switch {
				case in.op == opLddw && in.imm64 != 0 && in.imm64 < 1<<32 && (in.imm64 < 8 || in.imm64 >= ro.Filesz):
					t.Errorf("lddw at %#x loads %#x, outside rodata", in.off, in.imm64)
				case in.op == opCall && in.src == 0:
					if _, ok := ids[uint32(in.imm)]; !ok {
						t.Errorf("syscall at %#x has id %#x, not an allowed syscall", in.off, uint32(in.imm))
					}
				}
			}
			checkCalls(t, l)
			checkNoALU32(t, l)
		})
	}
}

// v0 and v3 differ only in addresses and syscall encoding: the same clang
// output must give the same instruction stream otherwise.
func TestV0V3SameCode(t *testing.T) {
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			l0 := parseLinked(t, mustLink(t, V0, p.objs...))
			l3 := parseLinked(t, mustLink(t, V3, p.objs...))
			a, b := decode(l0.text), decode(l3.text)
			if len(a) != len(b) {
				t.Fatalf("%d vs %d instructions", len(a), len(b))
			}
			ro0 := uint64(0)
			if s := l0.f.Section(".rodata"); s != nil {
				ro0 = s.Addr
			}
			ro3 := uint64(8) // v3 rodata content starts after the pad
			dyn, _ := l0.f.DynamicSymbols()
			sites := v0SyscallSites(t, l0, dyn)
			for i := range a {
				x, y := a[i], b[i]
				switch {
				case x.op == opLddw && x.imm64 != y.imm64:
					if x.imm64-ro0 != y.imm64-ro3 {
						t.Errorf("lddw %d: v0 %#x (rodata+%#x), v3 %#x (rodata+%#x)", i, x.imm64, x.imm64-ro0, y.imm64, y.imm64-ro3)
					}
				case x.op == opCall && x.src == 0:
					if name := sites[x.off]; y.src != 0 || uint32(y.imm) != SyscallID(name) {
						t.Errorf("syscall %d: v0 %q, v3 imm %#x", i, name, uint32(y.imm))
					}
				case x != y:
					t.Errorf("instruction %d differs: %+v vs %+v", i, x, y)
				}
			}
		})
	}
}

// v0SyscallSites maps .text offsets of syscall calls to syscall names.
func v0SyscallSites(t *testing.T, l *linked, dyn []elf.Symbol) map[uint64]string {
	t.Helper()
	_, relData := l.sectionData(t, ".rel.dyn")
	m := map[uint64]string{}
	for i := 0; i+16 <= len(relData); i += 16 {
		info := binary.LittleEndian.Uint64(relData[i+8:])
		if uint32(info) == rBPF64_32 {
			m[binary.LittleEndian.Uint64(relData[i:])-l.textAddr] = dyn[info>>32-1].Name
		}
	}
	return m
}

// The pointer table in multi_lib.c must point at its four strings. lib_word
// loads the table's address with its only lddw.
func TestRodataPointerTable(t *testing.T) {
	for _, arch := range []Arch{V0, V3} {
		l := parseLinked(t, mustLink(t, arch, "multi_main", "multi_lib"))
		ro, data := l.sectionData(t, ".rodata")
		var fn uint64
		for a, n := range l.funcStarts(t) {
			if n == "lib_word" {
				fn = a
			}
		}
		var table uint64
		for _, in := range decode(l.text) {
			if in.op == opLddw && l.textAddr+in.off >= fn && table == 0 {
				table = in.imm64 - ro.Addr
			}
		}
		var words []string
		for i := uint64(0); i < 4; i++ {
			v := binary.LittleEndian.Uint64(data[table+8*i:])
			if arch == V0 {
				// The loader reads the address from the upper half.
				if v&0xffffffff != 0 {
					t.Fatalf("v0 slot %d = %#x: lower half not zero", i, v)
				}
				v >>= 32
			}
			str := data[v-ro.Addr:]
			words = append(words, string(str[:bytes.IndexByte(str, 0)]))
		}
		if want := []string{"one", "two", "three", "four"}; !slices.Equal(words, want) {
			t.Errorf("%v: pointer table resolves to %q, want %q", arch, words, want)
		}
	}
}

func TestMemAliases(t *testing.T) {
	raw := mustLink(t, V3, "memfns")
	var got []string
	for _, in := range decode(parseLinked(t, raw).text) {
		if in.op == opCall && in.src == 0 {
			for _, n := range Syscalls() {
				if SyscallID(n) == uint32(in.imm) {
					got = append(got, n)
				}
			}
		}
	}
	if want := []string{"sol_memset_", "sol_memcpy_", "sol_log_"}; !slices.Equal(got, want) {
		t.Errorf("syscalls called in order %q, want %q", got, want)
	}
}

// -ffunction-sections turns every call into a relocation against a section
// symbol; both() must still call twice() then inc().
func TestFunctionSections(t *testing.T) {
	for _, arch := range []Arch{V0, V3} {
		l := parseLinked(t, mustLink(t, arch, "funcsections"))
		starts := l.funcStarts(t)
		var both uint64
		for a, n := range starts {
			if n == "both" {
				both = a
			}
		}
		var callees []string
		for _, in := range decode(l.text) {
			if addr := l.textAddr + in.off; in.op == opCall && in.src == 1 && addr >= both && addr < both+4*insnSize {
				callees = append(callees, starts[l.textAddr+(in.off/insnSize+1+uint64(int64(in.imm)))*insnSize])
			}
		}
		if want := []string{"twice", "inc"}; !slices.Equal(callees, want) {
			t.Errorf("%v: both() calls %q, want %q", arch, callees, want)
		}
	}
}

func TestSymtabLabels(t *testing.T) {
	l := parseLinked(t, mustLink(t, V0, "multi_main", "multi_lib"))
	syms, err := l.f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var local, global []string
	for _, s := range syms {
		if elf.ST_BIND(s.Info) == elf.STB_LOCAL {
			local = append(local, s.Name)
		} else {
			global = append(global, s.Name)
		}
	}
	if want := []string{"mix", "add"}; !slices.Equal(local, want) {
		t.Errorf("local labels %q, want %q", local, want)
	}
	if want := []string{"entrypoint", "lib_len", "lib_sum", "lib_word"}; !slices.Equal(global, want) {
		t.Errorf("global labels %q, want %q", global, want)
	}
}

func TestLinkErrors(t *testing.T) {
	tests := []struct {
		name    string
		objs    []string
		opt     Params
		want    error
		message []string
	}{
		{"alu32", []string{"alu32"}, Params{}, ErrALU32,
			[]string{"alu32.o:.text+0x", "(in entrypoint)", "add32", "compile with -mcpu=v2"}},
		{"data", []string{"writable"}, Params{}, ErrWritable,
			[]string{"writable.o:.data", "no writable globals", "counter", "const"}},
		{"bss", []string{"bss"}, Params{}, ErrWritable, []string{".bss", "calls"}},
		{"unknown syscall", []string{"unknown_syscall"}, Params{}, ErrUnknownSyscall,
			[]string{`"sol_frobnicate"`, "sol_log_", "sol_invoke_signed_c", "-allow-syscall sol_frobnicate"}},
		{"memcmp", []string{"memcmp"}, Params{}, ErrUnknownSyscall, []string{`"memcmp"`, "sol_memcmp_", "signature"}},
		{"function pointer", []string{"funcptr"}, Params{}, ErrFunctionPointer, []string{"callx", "call functions directly"}},
		{"no entrypoint", []string{"noentry"}, Params{}, ErrEntrypoint, []string{`"entrypoint"`, "uint64_t entrypoint"}},
		{"missing library", []string{"multi_main"}, Params{}, ErrUnknownSyscall, []string{`"lib_len"`, "link the object that defines it"}},
		{"duplicate", []string{"hello", "hello"}, Params{}, ErrDuplicate, []string{`"entrypoint"`, "also defined"}},
		{"entry not a function", []string{"hello"}, Params{Entry: "sol_log_"}, ErrEntrypoint, []string{`"sol_log_"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := linkFixtures(t, tt.opt, tt.objs...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestSyscallErrorFields(t *testing.T) {
	_, err := linkFixtures(t, Params{}, "unknown_syscall")
	var se *SyscallError
	if !errors.As(err, &se) {
		t.Fatalf("err = %T %v, want *SyscallError", err, err)
	}
	if se.Name != "sol_frobnicate" || se.Object != "unknown_syscall.o" || se.Func != "entrypoint" || !slices.Equal(se.Allowed, Syscalls()) {
		t.Errorf("SyscallError = %+v", se)
	}
}

func TestOptions(t *testing.T) {
	out, err := linkFixtures(t, Params{ExtraSyscalls: []string{"sol_frobnicate"}}, "unknown_syscall")
	if err != nil {
		t.Fatal(err)
	}
	dyn, _ := parseLinked(t, out).f.DynamicSymbols()
	if len(dyn) != 2 || dyn[1].Name != "sol_frobnicate" {
		t.Errorf("dynamic symbols %+v, want entrypoint and sol_frobnicate", dyn)
	}
	out, err = linkFixtures(t, Params{Entry: "helper"}, "noentry")
	if err != nil {
		t.Fatal(err)
	}
	l := parseLinked(t, out)
	if l.funcStarts(t)[l.f.Entry] != "helper" {
		t.Errorf("entry %#x is not helper", l.f.Entry)
	}
	if _, err := Link(nil, Params{}); !errors.Is(err, ErrEntrypoint) {
		t.Errorf("Link(nil) = %v", err)
	}
	if _, err := Link([]*Object{readFixture(t, "hello")}, Params{Arch: 2}); err == nil {
		t.Error("Link accepted arch v2")
	}
}

func TestParseArch(t *testing.T) {
	for in, want := range map[string]Arch{"v0": V0, "0": V0, "v3": V3, "3": V3} {
		if got, err := ParseArch(in); err != nil || got != want {
			t.Errorf("ParseArch(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "v1", "v2", "v4", "sbpfv3"} {
		if _, err := ParseArch(in); err == nil {
			t.Errorf("ParseArch(%q) accepted", in)
		}
	}
}
