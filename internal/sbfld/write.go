package sbfld

import (
	"encoding/binary"
	"sort"
)

// maxSymName is the loader's limit on symbol names (64 bytes with the NUL);
// longer .symtab labels would make a label-enabled loader fail, so they
// are left out.
const maxSymName = 63

const (
	ptLoad    = 1
	ptDynamic = 2

	pfX = 1
	pfR = 4

	dtNull   = 0
	dtStrtab = 5
	dtSymtab = 6
	dtStrsz  = 10
	dtSyment = 11
	dtRel    = 17
	dtRelsz  = 18
	dtRelent = 19
	dtFlags  = 30

	dfTextrel = 4
)

type outSection struct {
	name    string
	typ     uint32
	flags   uint64
	align   uint64
	link    uint32
	info    uint32
	entsize uint64
	data    []byte
	addr    uint64 // v0: equal to off for allocated sections
	off     uint64
}

type progHeader struct {
	typ, flags uint32
	off, addr  uint64
	size       uint64
}

// le is the byte order of every BPF object and SBPF program.
var le = binary.LittleEndian

// v0PhdrCount: PT_LOAD for .text, for .rodata if any, for the dynamic
// tables, and PT_DYNAMIC.
func v0PhdrCount(img *image) int {
	if len(img.rodata) > 0 {
		return 4
	}
	return 3
}

// symtab builds .symtab/.strtab function labels: locals first, as ELF
// requires, then globals. base is added to every text offset; shndx is the
// output .text index. It returns the index of the first global.
func symtab(funcs []funcSym, base uint64, shndx uint16) (syms, strs []byte, firstGlobal uint32) {
	syms = make([]byte, symSize, symSize*(len(funcs)+1))
	strs = []byte{0}
	firstGlobal = uint32(len(funcs) + 1)
	for i, f := range funcs {
		if f.global && firstGlobal > uint32(i+1) {
			firstGlobal = uint32(i + 1)
		}
		bind := byte(stbLocal)
		if f.global {
			bind = stbGlobal
		}
		syms = appendSym(syms, uint32(len(strs)), bind<<4|sttFunc, shndx, base+f.off, f.size)
		strs = append(append(strs, f.name...), 0)
	}
	return syms, strs, firstGlobal
}

func appendSym(b []byte, name uint32, info byte, shndx uint16, value, size uint64) []byte {
	var e [symSize]byte
	le.PutUint32(e[0:], name)
	e[4] = info
	le.PutUint16(e[6:], shndx)
	le.PutUint64(e[8:], value)
	le.PutUint64(e[16:], size)
	return append(b, e[:]...)
}

func writeV0(img *image) []byte {
	const idxText = 1
	secs := []*outSection{{name: ".text", typ: shtProgbits, flags: shfAlloc | shfExecinstr, align: insnSize, data: img.text}}
	if len(img.rodata) > 0 {
		secs = append(secs, &outSection{name: ".rodata", typ: shtProgbits, flags: shfAlloc, align: img.rodataAlign, data: img.rodata})
	}

	// Dynamic symbols: the exported entrypoint, then one undefined symbol
	// per syscall, sorted so the output does not depend on call order.
	names := map[string]bool{}
	for _, n := range img.sysSites {
		names[n] = true
	}
	sysNames := make([]string, 0, len(names))
	for n := range names {
		sysNames = append(sysNames, n)
	}
	sort.Strings(sysNames)
	dynstr := []byte{0}
	dynsym := make([]byte, symSize)
	dynsym = appendSym(dynsym, uint32(len(dynstr)), stbGlobal<<4|sttFunc, idxText, img.textAddr+img.entry, img.entrySize)
	dynstr = append(append(dynstr, img.entryName...), 0)
	sysIndex := map[string]uint32{}
	for _, n := range sysNames {
		sysIndex[n] = uint32(len(dynsym) / symSize)
		dynsym = appendSym(dynsym, uint32(len(dynstr)), stbGlobal<<4|sttNotype, shnUndef, 0, 0)
		dynstr = append(append(dynstr, n...), 0)
	}

	type rel struct {
		off  uint64
		info uint64
	}
	var rels []rel
	for _, o := range img.textRel {
		rels = append(rels, rel{img.textAddr + o, rBPF64Rel})
	}
	for o, n := range img.sysSites {
		rels = append(rels, rel{img.textAddr + o, uint64(sysIndex[n])<<32 | rBPF64_32})
	}
	for _, o := range img.rodataRel {
		rels = append(rels, rel{img.rodataAddr + o, rBPF64Rel})
	}
	sort.Slice(rels, func(a, b int) bool { return rels[a].off < rels[b].off })
	relData := make([]byte, 0, len(rels)*relSize)
	for _, r := range rels {
		relData = le.AppendUint64(relData, r.off)
		relData = le.AppendUint64(relData, r.info)
	}

	dynCount := 5
	if len(rels) > 0 {
		dynCount += 4
	}
	dynamic := &outSection{name: ".dynamic", typ: shtDynamic, flags: shfAlloc, align: 8, entsize: 16, data: make([]byte, dynCount*16)}
	dynsymSec := &outSection{name: ".dynsym", typ: shtDynsym, flags: shfAlloc, align: 8, entsize: symSize, info: 1, data: dynsym}
	dynstrSec := &outSection{name: ".dynstr", typ: shtStrtab, flags: shfAlloc, align: 1, data: dynstr}
	secs = append(secs, dynamic, dynsymSec, dynstrSec)
	var relSec *outSection
	if len(rels) > 0 {
		relSec = &outSection{name: ".rel.dyn", typ: shtRel, flags: shfAlloc, align: 8, entsize: relSize, data: relData}
		secs = append(secs, relSec)
	}
	syms, strs, firstGlobal := symtab(img.funcs, img.textAddr, idxText)
	symSec := &outSection{name: ".symtab", typ: shtSymtab, align: 8, entsize: symSize, info: firstGlobal, data: syms}
	strSec := &outSection{name: ".strtab", typ: shtStrtab, align: 1, data: strs}
	secs = append(secs, symSec, strSec)
	index := func(s *outSection) uint32 {
		for i, t := range secs {
			if t == s {
				return uint32(i + 1)
			}
		}
		return 0
	}
	dynsymSec.link = index(dynstrSec)
	symSec.link = index(strSec)
	if relSec != nil {
		relSec.link = index(dynsymSec)
	}

	phnum := v0PhdrCount(img)
	out := layout(secs, ehdrSize+uint64(phnum)*phdrSize)
	for _, s := range secs {
		if s.flags&shfAlloc != 0 {
			s.addr = s.off
		}
	}

	d := dynamic.data[:0]
	put := func(tag, val uint64) { d = le.AppendUint64(le.AppendUint64(d, tag), val) }
	if relSec != nil {
		put(dtFlags, dfTextrel)
		put(dtRel, relSec.addr)
		put(dtRelsz, uint64(len(relSec.data)))
		put(dtRelent, relSize)
	}
	put(dtSymtab, dynsymSec.addr)
	put(dtSyment, symSize)
	put(dtStrtab, dynstrSec.addr)
	put(dtStrsz, uint64(len(dynstrSec.data)))
	put(dtNull, 0)

	phdrs := []progHeader{{typ: ptLoad, flags: pfR | pfX, off: secs[0].off, addr: secs[0].addr, size: uint64(len(img.text))}}
	if len(img.rodata) > 0 {
		phdrs = append(phdrs, progHeader{typ: ptLoad, flags: pfR, off: secs[1].off, addr: secs[1].addr, size: uint64(len(img.rodata))})
	}
	lastDyn := dynstrSec
	if relSec != nil {
		lastDyn = relSec
	}
	phdrs = append(phdrs,
		progHeader{typ: ptLoad, flags: pfR, off: dynamic.off, addr: dynamic.addr, size: lastDyn.off + uint64(len(lastDyn.data)) - dynamic.off},
		progHeader{typ: ptDynamic, flags: pfR, off: dynamic.off, addr: dynamic.addr, size: uint64(len(dynamic.data))})
	return out.finish(uint32(V0), img.textAddr+img.entry, phdrs)
}

func writeV3(img *image) []byte {
	const idxText = 2
	roSize := alignUp(img.rodataAddr+uint64(len(img.rodata)), insnSize)
	ro := make([]byte, roSize)
	copy(ro[img.rodataAddr:], img.rodata)
	syms, strs, firstGlobal := symtab(img.funcs, v3TextAddr, idxText)
	secs := []*outSection{
		{name: ".rodata", typ: shtProgbits, flags: shfAlloc, align: insnSize, data: ro},
		{name: ".text", typ: shtProgbits, flags: shfAlloc | shfExecinstr, align: insnSize, data: img.text, addr: v3TextAddr},
		{name: ".symtab", typ: shtSymtab, align: 8, entsize: symSize, link: 4 /* .strtab */, info: firstGlobal, data: syms},
		{name: ".strtab", typ: shtStrtab, align: 1, data: strs},
	}
	out := layout(secs, ehdrSize+2*phdrSize)
	phdrs := []progHeader{
		{typ: ptLoad, flags: pfR, off: secs[0].off, addr: 0, size: roSize},
		{typ: ptLoad, flags: pfX, off: secs[1].off, addr: v3TextAddr, size: uint64(len(img.text))},
	}
	return out.finish(uint32(V3), v3TextAddr+img.entry, phdrs)
}

// elfOut is a laid-out file: sections placed, .shstrtab and the section
// header table appended.
type elfOut struct {
	secs  []*outSection // without the null section; .shstrtab last
	shoff uint64
}

// layout places secs in order after the headers, each at its alignment,
// then .shstrtab and the 8-aligned section header table.
func layout(secs []*outSection, start uint64) *elfOut {
	shstr := []byte{0}
	for _, s := range secs {
		shstr = append(append(shstr, s.name...), 0)
	}
	shstrSec := &outSection{name: ".shstrtab", typ: shtStrtab, align: 1}
	shstr = append(append(shstr, shstrSec.name...), 0)
	shstrSec.data = shstr
	secs = append(secs, shstrSec)
	off := start
	for _, s := range secs {
		off = alignUp(off, s.align)
		s.off = off
		off += uint64(len(s.data))
	}
	return &elfOut{secs: secs, shoff: alignUp(off, 8)}
}

func (o *elfOut) finish(flags uint32, entry uint64, phdrs []progHeader) []byte {
	shnum := len(o.secs) + 1
	buf := make([]byte, o.shoff+uint64(shnum)*shdrSize)
	copy(buf, "\x7fELF")
	buf[4], buf[5], buf[6] = 2, 1, 1 // ELF64, little-endian, version 1; OSABI 0
	le.PutUint16(buf[16:], etDyn)
	le.PutUint16(buf[18:], emBPF)
	le.PutUint32(buf[20:], 1)
	le.PutUint64(buf[24:], entry)
	le.PutUint64(buf[32:], ehdrSize)
	le.PutUint64(buf[40:], o.shoff)
	le.PutUint32(buf[48:], flags)
	le.PutUint16(buf[52:], ehdrSize)
	le.PutUint16(buf[54:], phdrSize)
	le.PutUint16(buf[56:], uint16(len(phdrs)))
	le.PutUint16(buf[58:], shdrSize)
	le.PutUint16(buf[60:], uint16(shnum))
	le.PutUint16(buf[62:], uint16(shnum-1))
	for i, p := range phdrs {
		h := buf[ehdrSize+i*phdrSize:]
		le.PutUint32(h[0:], p.typ)
		le.PutUint32(h[4:], p.flags)
		le.PutUint64(h[8:], p.off)
		le.PutUint64(h[16:], p.addr)
		le.PutUint64(h[24:], p.addr)
		le.PutUint64(h[32:], p.size)
		le.PutUint64(h[40:], p.size)
		le.PutUint64(h[48:], 8)
	}
	nameOff := uint32(1)
	for i, s := range o.secs {
		copy(buf[s.off:], s.data)
		h := buf[o.shoff+uint64(i+1)*shdrSize:]
		le.PutUint32(h[0:], nameOff)
		nameOff += uint32(len(s.name)) + 1
		le.PutUint32(h[4:], s.typ)
		le.PutUint64(h[8:], s.flags)
		le.PutUint64(h[16:], s.addr)
		le.PutUint64(h[24:], s.off)
		le.PutUint64(h[32:], uint64(len(s.data)))
		le.PutUint32(h[40:], s.link)
		le.PutUint32(h[44:], s.info)
		le.PutUint64(h[48:], s.align)
		le.PutUint64(h[56:], s.entsize)
	}
	return buf
}
