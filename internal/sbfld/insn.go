package sbfld

import (
	"encoding/binary"
	"fmt"
)

// insnSize is the size of one BPF instruction slot; lddw takes two.
const insnSize = 8

const (
	opLddw  = 0x18
	opCall  = 0x85
	opCallx = 0x8d
	opExit  = 0x95
)

const fixCPU = "compile with -mcpu=v2"

var aluOps = [16]string{"add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor", "mov", "arsh", "end"}

var jmpOps = [16]string{"ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "call", "exit", "jlt", "jle", "jslt", "jsle", "jcond"}

// insnProblem describes why one instruction cannot be loaded.
type insnProblem struct {
	err    error
	detail string
	fix    string
}

// checkInsn validates the instruction at slot i of code and returns how many
// slots it occupies. The rules are those of the SBPF v0/v3 verifier for
// what clang -target bpf can emit; anything else is refused here so the
// failure shows up at link time with a useful message, not at deploy time.
func checkInsn(code []byte, i int) (int, *insnProblem) {
	off := i * insnSize
	op := code[off]
	dst, src := code[off+1]&0xf, code[off+1]>>4
	offset := int16(binary.LittleEndian.Uint16(code[off+2:]))
	imm := int32(binary.LittleEndian.Uint32(code[off+4:]))
	unsupported := func(detail, fix string) (int, *insnProblem) {
		return 1, &insnProblem{err: ErrInstruction, detail: fmt.Sprintf("opcode %#02x: %s", op, detail), fix: fix}
	}
	if dst > 10 || src > 10 {
		return unsupported(fmt.Sprintf("register r%d/r%d out of range", dst, src), "this is not valid BPF code")
	}
	switch op & 7 {
	case 0: // LD
		if op != opLddw {
			return unsupported("legacy packet access (ld_abs/ld_ind)", "use plain loads")
		}
		if src != 0 {
			return unsupported(fmt.Sprintf("lddw with pseudo source %d (BPF map or BTF reference)", src),
				"SBPF has no maps; keep data in .rodata or account data")
		}
		if off+2*insnSize > len(code) {
			return unsupported("lddw truncated at the end of the section", "this is not valid BPF code")
		}
		if code[off+insnSize] != 0 {
			return unsupported("lddw second slot is not zero", "this is not valid BPF code")
		}
		return 2, nil
	case 1, 2, 3: // LDX, ST, STX
		switch op & 0xe0 {
		case 0x60: // MEM
			return 1, nil
		case 0x80:
			return unsupported("sign-extending load (-mcpu=v4)", fixCPU)
		case 0xc0:
			return unsupported("atomic memory operation", "SBPF has no atomics; use plain loads and stores (programs run single-threaded)")
		}
		return unsupported("unknown memory access mode", fixCPU)
	case 4: // ALU32
		if op == 0xd4 || op == 0xdc { // le / be: the only class-ALU ops SBPF v0 shares with eBPF
			if imm != 16 && imm != 32 && imm != 64 {
				return unsupported(fmt.Sprintf("byte swap width %d", imm), "this is not valid BPF code")
			}
			return 1, nil
		}
		return 1, &insnProblem{err: ErrALU32,
			detail: fmt.Sprintf("opcode %#02x (%s32)", op, aluOps[op>>4]),
			fix:    fixCPU + " (SBPF sign-extends 32-bit ALU results where eBPF zero-extends; -mcpu=v3 and later emit them)"}
	case 6: // JMP32
		name := jmpOps[op>>4]
		if name == "" {
			name = "unknown"
		}
		return 1, &insnProblem{err: ErrALU32,
			detail: fmt.Sprintf("opcode %#02x (%s32)", op, name),
			fix:    fixCPU + " (JMP32 needs -mcpu=v3, which also emits ALU32)"}
	case 5: // JMP
		switch op {
		case opCall:
			return 1, nil
		case opCallx:
			return 1, &insnProblem{err: ErrFunctionPointer, detail: "indirect call (callx)",
				fix: "call functions directly; function pointers are not supported"}
		case opExit:
			return 1, nil
		}
		if op&0xf0 >= 0xe0 || op&0xf0 == 0x80 || op&0xf0 == 0x90 || (op&0xf0 == 0 && op != 0x05) {
			return unsupported("jump kind not supported by SBPF", fixCPU)
		}
		return 1, nil
	default: // ALU64
		code := op & 0xf0
		if code >= 0xe0 || (code == 0x80 && op != 0x87) {
			return unsupported("unknown ALU operation", "this is not valid BPF code")
		}
		if code == 0xd0 {
			return unsupported("unconditional byte swap (-mcpu=v4)", fixCPU)
		}
		if offset != 0 {
			return unsupported(fmt.Sprintf("%s64 with offset %d (signed division or sign-extending move, -mcpu=v4)", aluOps[op>>4], offset), fixCPU)
		}
		if op&0x08 == 0 {
			switch code {
			case 0x30, 0x90:
				if imm == 0 {
					return unsupported(aluOps[op>>4]+" by constant zero", "guard the division")
				}
			case 0x60, 0x70, 0xc0:
				if imm < 0 || imm >= 64 {
					return unsupported(fmt.Sprintf("shift by %d", imm), "shift amounts must be 0..63")
				}
			}
		}
		return 1, nil
	}
}
