package sbfld

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Arch selects the SBPF version of the output, written to e_flags.
type Arch int

const (
	// V0 is the classic format: ET_DYN with .dynamic, relocations the
	// loader applies at load time, syscalls bound through dynamic symbols.
	V0 Arch = 0
	// V3 is the strict format: two program headers, no relocations,
	// syscalls called by murmur3 id, rodata at address 0.
	V3 Arch = 3
)

func (a Arch) String() string { return fmt.Sprintf("v%d", int(a)) }

// ParseArch accepts "v0" or "v3".
func ParseArch(s string) (Arch, error) {
	switch s {
	case "v0", "0":
		return V0, nil
	case "v3", "3":
		return V3, nil
	}
	return 0, fmt.Errorf("unknown arch %q: use v0 or v3", s)
}

// Params control a link.
type Params struct {
	Arch  Arch
	Entry string // entrypoint symbol; "entrypoint" if empty
	// ExtraSyscalls extends the allow-list, for syscalls newer than this
	// linker. The loader still rejects names its runtime does not register.
	ExtraSyscalls []string
}

// Virtual memory layout of the SBPF VM.
const (
	regionSize  = 1 << 32 // each VM region is 4 GiB; v0 maps read-only data at region 1
	v3TextAddr  = 1 << 32 // v3 bytecode region
	v3RodataPad = 8       // keeps every v3 rodata object off address 0 (NULL)
)

// BPF relocation types.
const (
	rBPFNone    = 0
	rBPF64_64   = 1  // lddw address, addend in the immediate
	rBPF64Abs64 = 2  // 64-bit data pointer, addend in place
	rBPF64Abs32 = 3  // 32-bit data pointer
	rBPF64Rel   = 8  // R_BPF_64_RELATIVE in linked output
	rBPF64_32   = 10 // call target
)

const (
	regNone = iota
	regText
	regRodata
)

type placement struct {
	region int
	off    uint64 // offset in the merged region
}

// funcSym is a function in the output, for .symtab labels.
type funcSym struct {
	name   string
	off    uint64 // offset in merged .text
	size   uint64
	global bool
}

// image is the linked program before it is wrapped in an ELF container.
type image struct {
	arch        Arch
	text        []byte
	rodata      []byte
	rodataAlign uint64
	textAddr    uint64 // address of text[0] as code sees it (v0: file offset)
	rodataAddr  uint64 // address of rodata[0] as code sees it
	entry       uint64 // entry offset in text
	entryName   string
	entrySize   uint64
	textRel     []uint64          // v0: lddw offsets in text needing R_BPF_64_RELATIVE
	rodataRel   []uint64          // v0: pointer offsets in rodata needing R_BPF_64_RELATIVE
	sysSites    map[uint64]string // v0: call offsets in text -> syscall name
	funcs       []funcSym
}

type linker struct {
	opt     Params
	objs    []*Object
	place   [][]placement
	globals map[string][2]int // name -> {object, symbol index}
	img     image
}

// Link links relocatable BPF objects into a Solana-loadable ELF shared
// object. Inputs are laid out in the order given, so the same inputs always
// give the same bytes.
func Link(objs []*Object, opt Params) ([]byte, error) {
	if opt.Entry == "" {
		opt.Entry = "entrypoint"
	}
	if opt.Arch != V0 && opt.Arch != V3 {
		return nil, fmt.Errorf("unsupported arch %v: use v0 or v3", opt.Arch)
	}
	if len(objs) == 0 {
		return nil, &LinkError{Err: ErrEntrypoint, Offset: -1, Detail: "no input objects", Fix: "pass at least one .o file"}
	}
	l := &linker{opt: opt, objs: objs, globals: map[string][2]int{}}
	l.img.arch = opt.Arch
	l.img.sysSites = map[uint64]string{}
	steps := []func() error{l.placeSections, l.collectGlobals, l.layoutBases, l.relocateText, l.relocateRodata, l.findEntry}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	l.collectFuncs()
	if opt.Arch == V3 {
		return writeV3(&l.img), nil
	}
	return writeV0(&l.img), nil
}

func alignUp(v, a uint64) uint64 {
	if a <= 1 {
		return v
	}
	return (v + a - 1) / a * a
}

// placeSections assigns every allocated input section a place in the merged
// .text or .rodata and refuses sections the loader cannot map.
func (l *linker) placeSections() error {
	l.img.rodataAlign = 8
	var textSize, roSize uint64
	l.place = make([][]placement, len(l.objs))
	for oi, obj := range l.objs {
		l.place[oi] = make([]placement, len(obj.Sections))
		for si := range obj.Sections {
			s := &obj.Sections[si]
			if s.Flags&shfAlloc == 0 {
				continue
			}
			fail := func(err error, detail, fix string) error {
				return &LinkError{Err: err, Object: obj.Name, Section: s.Name, Offset: -1, Detail: detail, Fix: fix}
			}
			switch {
			case s.Flags&shfTLS != 0:
				return fail(ErrWritable, "thread-local storage", "remove _Thread_local/__thread variables")
			case s.Flags&shfWrite != 0 || s.Type == shtNobits:
				return fail(ErrWritable, "no writable globals: "+l.sectionSymbols(oi, si),
					"make the variable const, or keep the state on the stack or in account data")
			case s.Type != shtProgbits:
				return fail(ErrSection, fmt.Sprintf("allocated section of type %d", s.Type), "only code and read-only data can be linked")
			case s.Align > 4096:
				return fail(ErrSection, fmt.Sprintf("alignment %d", s.Align), "use at most 4096-byte alignment")
			case s.Flags&shfExecinstr != 0:
				if s.Size%insnSize != 0 {
					return fail(ErrBadObject, fmt.Sprintf("code size %d is not a multiple of 8", s.Size), "this is not valid BPF code")
				}
				textSize = alignUp(textSize, insnSize)
				l.place[oi][si] = placement{regText, textSize}
				textSize += s.Size
			default:
				roSize = alignUp(roSize, s.Align)
				l.place[oi][si] = placement{regRodata, roSize}
				roSize += s.Size
				l.img.rodataAlign = max(l.img.rodataAlign, s.Align)
			}
		}
		for _, sym := range obj.Symbols {
			if sym.Section == shnCommon {
				return &LinkError{Err: ErrWritable, Object: obj.Name, Offset: -1,
					Detail: fmt.Sprintf("no writable globals: common symbol %q", sym.Name),
					Fix:    "make the variable const, or keep the state on the stack or in account data"}
			}
		}
	}
	if textSize == 0 {
		return &LinkError{Err: ErrEntrypoint, Offset: -1, Detail: "no code in any input", Fix: "define the entrypoint function"}
	}
	l.img.text = make([]byte, textSize)
	l.img.rodata = make([]byte, roSize)
	for oi, obj := range l.objs {
		for si := range obj.Sections {
			p := l.place[oi][si]
			switch p.region {
			case regText:
				copy(l.img.text[p.off:], obj.Sections[si].Data)
			case regRodata:
				copy(l.img.rodata[p.off:], obj.Sections[si].Data)
			}
		}
	}
	return nil
}

// sectionSymbols names the variables in a section, for error messages.
func (l *linker) sectionSymbols(oi, si int) string {
	var names []string
	for _, sym := range l.objs[oi].Symbols {
		if int(sym.Section) == si && sym.Type != sttSection && sym.Name != "" {
			names = append(names, sym.Name)
		}
	}
	sec := l.objs[oi].Sections[si].Name
	if len(names) == 0 {
		return "section " + sec
	}
	return fmt.Sprintf("section %s holds %s", sec, strings.Join(names, ", "))
}

func (l *linker) collectGlobals() error {
	for oi, obj := range l.objs {
		for i, sym := range obj.Symbols {
			if (sym.Bind != stbGlobal && sym.Bind != stbWeak) || !sym.defined() && sym.Section != shnAbs {
				continue
			}
			prev, dup := l.globals[sym.Name]
			if !dup {
				l.globals[sym.Name] = [2]int{oi, i}
				continue
			}
			prevSym := l.objs[prev[0]].Symbols[prev[1]]
			switch {
			case sym.Bind == stbWeak:
			case prevSym.Bind == stbWeak:
				l.globals[sym.Name] = [2]int{oi, i}
			default:
				return &LinkError{Err: ErrDuplicate, Object: obj.Name, Offset: -1,
					Detail: fmt.Sprintf("%q is also defined in %s", sym.Name, l.objs[prev[0]].Name),
					Fix:    "make one of them static or rename it"}
			}
		}
	}
	return nil
}

// layoutBases fixes the addresses code will see for .text and .rodata,
// which depend only on their sizes.
func (l *linker) layoutBases() error {
	img := &l.img
	if img.arch == V3 {
		img.rodataAddr = alignUp(v3RodataPad, img.rodataAlign)
		img.textAddr = v3TextAddr
		return nil
	}
	img.textAddr = alignUp(ehdrSize+phdrSize*uint64(v0PhdrCount(img)), insnSize)
	img.rodataAddr = alignUp(img.textAddr+uint64(len(img.text)), img.rodataAlign)
	if img.rodataAddr+uint64(len(img.rodata)) >= regionSize {
		return &LinkError{Err: ErrSection, Offset: -1, Detail: "program larger than 4 GiB", Fix: "make it smaller"}
	}
	return nil
}

// target is what a relocation's symbol resolves to.
type target struct {
	region int
	off    uint64 // offset in the merged region
	name   string
	abs    bool
	inert  bool // defined, but in a section that is not loaded
}

func (l *linker) resolve(oi int, symIdx uint32) target {
	obj := l.objs[oi]
	sym := obj.Symbols[symIdx]
	name := sym.Name
	if sym.Type == sttSection && int(sym.Section) < len(obj.Sections) {
		name = obj.Sections[sym.Section].Name
	}
	if !sym.defined() && sym.Section != shnAbs {
		ref, ok := l.globals[sym.Name]
		if !ok || sym.Name == "" {
			return target{name: name}
		}
		oi, sym = ref[0], l.objs[ref[0]].Symbols[ref[1]]
	}
	if sym.Section == shnAbs {
		return target{name: name, abs: true}
	}
	p := l.place[oi][sym.Section]
	return target{region: p.region, off: p.off + sym.Value, name: name, inert: p.region == regNone}
}

// funcAt names the function containing off in section si of object oi.
func (l *linker) funcAt(oi, si int, off uint64) string {
	best := ""
	for _, sym := range l.objs[oi].Symbols {
		if sym.Type == sttFunc && int(sym.Section) == si && sym.Value <= off && off < sym.Value+max(sym.Size, 1) {
			best = sym.Name
		}
	}
	return best
}

func (l *linker) relocateText() error {
	img := &l.img
	for oi, obj := range l.objs {
		for si := range obj.Sections {
			p := l.place[oi][si]
			if p.region != regText {
				continue
			}
			sec := &obj.Sections[si]
			fail := func(err error, at uint64, detail, fix string) error {
				return &LinkError{Err: err, Object: obj.Name, Section: sec.Name, Offset: int64(at),
					Func: l.funcAt(oi, si, at), Detail: detail, Fix: fix}
			}
			relocs := map[uint64]Reloc{}
			for _, r := range sec.Relocs {
				if r.Type == rBPFNone {
					continue
				}
				if _, dup := relocs[r.Offset]; dup {
					return fail(ErrRelocation, r.Offset, "two relocations at one instruction", "this is not valid clang output")
				}
				relocs[r.Offset] = r
			}
			code := img.text[p.off : p.off+sec.Size]
			slots := len(code) / insnSize
			for i := 0; i < slots; {
				at := uint64(i * insnSize)
				width, prob := checkInsn(code, i)
				if prob != nil {
					return fail(prob.err, at, prob.detail, prob.fix)
				}
				r, hasReloc := relocs[at]
				delete(relocs, at)
				ins := code[at:]
				switch {
				case ins[0] == opCall:
					if err := l.fixCall(oi, si, code, i, p.off, r, hasReloc, fail); err != nil {
						return err
					}
				case ins[0] == opLddw && hasReloc:
					if r.Type != rBPF64_64 {
						return fail(ErrRelocation, at, fmt.Sprintf("relocation type %d on lddw", r.Type), "this is not valid clang output")
					}
					addend := uint64(le.Uint32(ins[4:])) | uint64(le.Uint32(ins[12:]))<<32
					t := l.resolve(oi, r.Sym)
					addr, err := l.dataAddr(t, addend, func(err error, detail, fix string) error { return fail(err, at, detail, fix) })
					if err != nil {
						return err
					}
					le.PutUint32(ins[4:], uint32(addr))
					le.PutUint32(ins[12:], uint32(addr>>32))
					if img.arch == V0 {
						img.textRel = append(img.textRel, p.off+at)
					}
				case hasReloc:
					return fail(ErrRelocation, at, fmt.Sprintf("relocation type %d on opcode %#02x", r.Type, ins[0]),
						"only lddw and call instructions can be relocated")
				}
				i += width
			}
			if len(relocs) > 0 {
				offs := make([]uint64, 0, len(relocs))
				for o := range relocs {
					offs = append(offs, o)
				}
				sort.Slice(offs, func(a, b int) bool { return offs[a] < offs[b] })
				return fail(ErrRelocation, offs[0], "relocation not at the start of an instruction", "this is not valid clang output")
			}
		}
	}
	return nil
}

// dataAddr is the address code must use for a data reference to t+addend.
func (l *linker) dataAddr(t target, addend uint64, fail func(error, string, string) error) (uint64, error) {
	switch {
	case t.abs:
		return 0, fail(ErrRelocation, fmt.Sprintf("reference to absolute symbol %q", t.name), "define it as a const variable instead")
	case t.inert:
		return 0, fail(ErrRelocation, fmt.Sprintf("reference to %q in a section that is not loaded", t.name), "define it in .rodata")
	case t.region == regText:
		return 0, fail(ErrFunctionPointer, fmt.Sprintf("address of function %q taken", t.name),
			"call functions directly; function pointers and tables of them are not supported")
	case t.region == regRodata:
		// One past the end is a valid C pointer; anything further (or a
		// negative addend) would not survive the loader's 32-bit fields.
		if off := t.off + addend; off >= t.off && off <= uint64(len(l.img.rodata)) {
			return l.img.rodataAddr + off, nil
		}
		return 0, fail(ErrRelocation, fmt.Sprintf("reference to %q%+d points outside read-only data", t.name, int64(addend)),
			"index the object from its start")
	}
	return 0, fail(ErrUndefined, fmt.Sprintf("data symbol %q is not defined by any input object", t.name),
		"define it (const) in one of the objects you link")
}

// fixCall resolves the call at slot i of code, a text piece at offset base
// of the merged text.
func (l *linker) fixCall(oi, si int, code []byte, i int, base uint64, r Reloc, hasReloc bool,
	fail func(error, uint64, string, string) error) error {
	img := &l.img
	at := uint64(i * insnSize)
	ins := code[at:]
	src := ins[1] >> 4
	imm := int32(le.Uint32(ins[4:]))
	if !hasReloc {
		if src != 1 {
			if imm == -1 {
				return fail(ErrRelocation, at, "call with immediate -1 and no relocation", "this is not valid clang output")
			}
			return fail(ErrInstruction, at, fmt.Sprintf("call to BPF helper #%d", imm),
				"declare syscalls as extern functions (see program/include/sbf.h)")
		}
		tgt := int64(i) + 1 + int64(imm)
		if tgt < 0 || tgt >= int64(len(code)/insnSize) {
			return fail(ErrInstruction, at, "local call target outside its section", "this is not valid clang output")
		}
		if img.arch == V0 && imm == -1 {
			return fail(ErrInstruction, at, "call to itself", "v0 reserves call immediate -1 for relocated calls")
		}
		return nil
	}
	if r.Type != rBPF64_32 {
		return fail(ErrRelocation, at, fmt.Sprintf("relocation type %d on call", r.Type), "this is not valid clang output")
	}
	t := l.resolve(oi, r.Sym)
	switch {
	case t.region == regText:
		// The immediate counts slots from the symbol, less one: -1 for a
		// call to the symbol itself, section offset/8 - 1 for a call
		// through a section symbol.
		dest := int64(t.off) + (int64(imm)+1)*insnSize
		if dest < 0 || dest >= int64(len(img.text)) || dest%insnSize != 0 {
			return fail(ErrRelocation, at, fmt.Sprintf("call to %q lands outside the code", t.name), "this is not valid clang output")
		}
		rel := (dest - int64(base+at) - insnSize) / insnSize
		if img.arch == V0 && rel == -1 {
			return fail(ErrInstruction, at, "call to itself", "v0 reserves call immediate -1 for relocated calls")
		}
		ins[1] = ins[1]&0x0f | 1<<4
		le.PutUint32(ins[4:], uint32(int32(rel)))
		return nil
	case t.region == regRodata || t.abs || t.inert:
		return fail(ErrRelocation, at, fmt.Sprintf("call to non-code symbol %q", t.name), "call a function")
	}
	name := t.name
	if alias, ok := libcAliases[name]; ok {
		name = alias
	}
	if !syscalls[name] && !slices.Contains(l.opt.ExtraSyscalls, name) {
		return &SyscallError{Name: t.name, Object: l.objs[oi].Name, Func: l.funcAt(oi, si, at), Allowed: Syscalls(), Hint: refusedHints[t.name]}
	}
	ins[1] &= 0x0f
	if img.arch == V3 {
		le.PutUint32(ins[4:], SyscallID(name))
		return nil
	}
	le.PutUint32(ins[4:], 0xffffffff)
	img.sysSites[base+at] = name
	return nil
}

func (l *linker) relocateRodata() error {
	img := &l.img
	for oi, obj := range l.objs {
		for si := range obj.Sections {
			p := l.place[oi][si]
			if p.region != regRodata {
				continue
			}
			sec := &obj.Sections[si]
			for _, r := range sec.Relocs {
				fail := func(err error, detail, fix string) error {
					return &LinkError{Err: err, Object: obj.Name, Section: sec.Name, Offset: int64(r.Offset), Detail: detail, Fix: fix}
				}
				switch r.Type {
				case rBPFNone:
					continue
				case rBPF64Abs64:
				case rBPF64Abs32:
					return fail(ErrRelocation, "32-bit pointer in read-only data", "SBPF addresses are 64-bit; use pointer-sized fields")
				default:
					return fail(ErrRelocation, fmt.Sprintf("relocation type %d in read-only data", r.Type), "only 64-bit pointers (R_BPF_64_ABS64) are supported in data")
				}
				if r.Offset > sec.Size || sec.Size-r.Offset < 8 {
					return fail(ErrRelocation, "pointer extends past the end of the section", "this is not valid clang output")
				}
				slot := img.rodata[p.off+r.Offset:]
				addr, err := l.dataAddr(l.resolve(oi, r.Sym), le.Uint64(slot), fail)
				if err != nil {
					return err
				}
				if img.arch == V3 {
					le.PutUint64(slot, addr)
					continue
				}
				// The v0 loader reads the address from the upper half of the
				// slot and writes back the full VM address (legacy toolchain quirk).
				le.PutUint32(slot, 0)
				le.PutUint32(slot[4:], uint32(addr))
				img.rodataRel = append(img.rodataRel, p.off+r.Offset)
			}
		}
	}
	return nil
}

func (l *linker) findEntry() error {
	name := l.opt.Entry
	fix := fmt.Sprintf("define a non-static function uint64_t %s(const uint8_t *input)", name)
	ref, ok := l.globals[name]
	if !ok {
		return &LinkError{Err: ErrEntrypoint, Offset: -1, Detail: fmt.Sprintf("no input defines %q", name), Fix: fix}
	}
	sym := l.objs[ref[0]].Symbols[ref[1]]
	t := l.resolve(ref[0], uint32(ref[1]))
	if t.region != regText || sym.Type != sttFunc || t.off%insnSize != 0 {
		return &LinkError{Err: ErrEntrypoint, Object: l.objs[ref[0]].Name, Offset: -1, Detail: fmt.Sprintf("%q is not a function", name), Fix: fix}
	}
	l.img.entry, l.img.entrySize, l.img.entryName = t.off, sym.Size, name
	return nil
}

// collectFuncs gathers function labels for .symtab, in a stable order.
func (l *linker) collectFuncs() {
	var fs []funcSym
	for oi, obj := range l.objs {
		for _, sym := range obj.Symbols {
			if sym.Type != sttFunc || !sym.defined() || sym.Name == "" || len(sym.Name) > maxSymName {
				continue
			}
			p := l.place[oi][sym.Section]
			if p.region != regText {
				continue
			}
			if sym.Bind != stbLocal {
				if ref := l.globals[sym.Name]; l.objs[ref[0]] != obj || l.objs[ref[0]].Symbols[ref[1]] != sym {
					continue // a weak definition that lost
				}
			}
			fs = append(fs, funcSym{name: sym.Name, off: p.off + sym.Value, size: sym.Size, global: sym.Bind != stbLocal})
		}
	}
	sort.SliceStable(fs, func(a, b int) bool {
		if fs[a].global != fs[b].global {
			return !fs[a].global
		}
		if fs[a].off != fs[b].off {
			return fs[a].off < fs[b].off
		}
		return fs[a].name < fs[b].name
	})
	l.img.funcs = fs
}
