// Package gplsession embeds sessionkit's session-keys program, built from the C sources here.
// Its client (instruction builders, account codecs) is package client at the module root.
package gplsession

import (
	"bytes"
	_ "embed"
)

//go:embed gpl_session.so
var elf []byte

// ELF returns a copy of the program's ELF, which `make programs` rebuilds byte for byte. It
// is wire-identical to upstream gpl_session 3.0.11 (all five instructions, V1 and V2 tokens)
// and reads its own id from the runtime, so it runs at pda.MagicBlockProgramID or under any
// address it is deployed to.
func ELF() []byte { return bytes.Clone(elf) }
