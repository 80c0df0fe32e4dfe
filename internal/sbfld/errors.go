package sbfld

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors classify every failure; match them with errors.Is. The
// concrete error is a *LinkError (or *SyscallError for syscall names), which
// says where the problem is and what to change.
var (
	// ErrBadObject: the input is not a well-formed little-endian ELF64
	// relocatable BPF object.
	ErrBadObject = errors.New("not a BPF relocatable object")
	// ErrALU32: a 32-bit ALU or JMP32 instruction, which SBPF executes with
	// different semantics than eBPF (or not at all).
	ErrALU32 = errors.New("32-bit ALU/JMP32 instruction")
	// ErrInstruction: an instruction the SBPF loader or verifier rejects.
	ErrInstruction = errors.New("unsupported instruction")
	// ErrWritable: a writable section (.data, .bss, common symbols); SBPF
	// programs have no writable global memory.
	ErrWritable = errors.New("writable global data")
	// ErrSection: a section kind the output format cannot carry.
	ErrSection = errors.New("unsupported section")
	// ErrRelocation: a relocation type or site the linker does not handle.
	ErrRelocation = errors.New("unsupported relocation")
	// ErrUndefined: a data symbol, or a function that is not a syscall,
	// is referenced but defined nowhere.
	ErrUndefined = errors.New("undefined symbol")
	// ErrUnknownSyscall: a call to an undefined function that is not on the
	// syscall allow-list.
	ErrUnknownSyscall = errors.New("unknown syscall")
	// ErrDuplicate: a global symbol is defined by more than one object.
	ErrDuplicate = errors.New("duplicate symbol")
	// ErrFunctionPointer: the address of a function is taken; SBPF callx is
	// not supported by this linker.
	ErrFunctionPointer = errors.New("function pointer")
	// ErrEntrypoint: the entrypoint symbol is missing or not a function.
	ErrEntrypoint = errors.New("bad entrypoint")
)

// LinkError locates a failure in an input object. Fix says what to change.
type LinkError struct {
	Err     error  // one of the sentinel errors above
	Object  string // input object name; empty for whole-link problems
	Section string // input section name, if any
	Offset  int64  // byte offset in Section, or -1
	Func    string // enclosing function, if known
	Detail  string // what was found
	Fix     string // what to change
}

func (e *LinkError) Error() string {
	var b strings.Builder
	if e.Object != "" {
		b.WriteString(e.Object)
		if e.Section != "" {
			b.WriteString(":" + e.Section)
			if e.Offset >= 0 {
				fmt.Fprintf(&b, "+%#x", e.Offset)
			}
		}
		if e.Func != "" {
			fmt.Fprintf(&b, " (in %s)", e.Func)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Fix != "" {
		b.WriteString("; " + e.Fix)
	}
	return b.String()
}

func (e *LinkError) Unwrap() error { return e.Err }

// SyscallError reports a call to a function that is neither defined by an
// input object nor an allowed syscall.
type SyscallError struct {
	Name    string   // the called name
	Object  string   // first object that calls it
	Func    string   // function making the call
	Allowed []string // the allow-list, sorted
	Hint    string   // a specific suggestion, if any
}

func (e *SyscallError) Error() string {
	msg := e.Object
	if e.Func != "" {
		msg += fmt.Sprintf(" (in %s)", e.Func)
	}
	msg += fmt.Sprintf(": unknown syscall %q", e.Name)
	if e.Hint != "" {
		return msg + ": " + e.Hint
	}
	return msg + fmt.Sprintf(": it is not defined by any input object and is not a known Solana syscall; "+
		"link the object that defines it, call one of: %s; or, for a syscall newer than sbfld, pass -allow-syscall %s", strings.Join(e.Allowed, ", "), e.Name)
}

func (e *SyscallError) Unwrap() error { return ErrUnknownSyscall }
