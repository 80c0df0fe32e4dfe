package examplegame

import (
	"bytes"
	_ "embed"

	"github.com/gagliardetto/solana-go"
)

//go:embed example_game.so
var elf []byte

// ProgramID is the game's id for CLI and demo use. Nobody holds its keypair: a local cluster
// loads the program there at start, and tests deploy it under fresh ids instead. Session
// tokens for the game name this id as target program.
var ProgramID = solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi")

// ELF returns a copy of the game's ELF, which `make programs` rebuilds byte for byte. Its
// move_player accepts the player owner's signature or a session key, validating tokens as
// upstream's session_auth_or does; its IDL is programidl.ExampleGame. It reads its own id
// from the runtime, so it runs under any address.
func ELF() []byte { return bytes.Clone(elf) }
