// Package program embeds sessionkit's on-chain programs, built from the C sources next to
// this file (`make programs` rebuilds them byte for byte):
//
//   - session/gpl_session.so: the session-keys program, wire-identical to upstream
//     gpl_session 3.0.11 (all five instructions, V1 and V2 tokens). It reads its own id
//     from the runtime, so it runs at KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5 or under
//     any address it is deployed to.
//   - example-game/example_game.so: a tiny target program whose move_player accepts the
//     player owner's signature or a session key, validating tokens as upstream's
//     session_auth_or does. Its IDL is programidl.ExampleGame.
package program

import (
	_ "embed"

	"github.com/gagliardetto/solana-go"
)

//go:embed session/gpl_session.so
var sessionELF []byte

//go:embed example-game/example_game.so
var exampleGameELF []byte

// ExampleGameProgramID is the example game's id for CLI and demo use. Nobody holds its
// keypair: a local cluster loads the program there at start, and tests deploy it under
// fresh ids instead. Session tokens for the game name this id as target program.
var ExampleGameProgramID = solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi")

// SessionELF returns a copy of the session-keys program's ELF.
func SessionELF() []byte { return clone(sessionELF) }

// ExampleGameELF returns a copy of the example game's ELF.
func ExampleGameELF() []byte { return clone(exampleGameELF) }

func clone(b []byte) []byte { return append([]byte(nil), b...) }
