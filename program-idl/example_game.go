package programidl

import (
	"bytes"
	_ "embed"
)

// exampleGameJSON is the Anchor 0.30 spec IDL of program/examplegame, the sessionkit
// example target program: init_player, move_player (owner or session signer), the Player
// account, Unauthorized (6000) and the InvalidToken (6001) it raises for bad sessions.
//
//go:embed example_game.json
var exampleGameJSON []byte

// ExampleGame parses the embedded example-game IDL.
func ExampleGame() (*IDL, error) { return Parse(exampleGameJSON) }

// ExampleGameJSON returns a copy of the embedded example-game IDL document.
func ExampleGameJSON() []byte { return bytes.Clone(exampleGameJSON) }
