package programidl

import _ "embed"

// exampleGameJSON is the Anchor 0.30 spec IDL of program/examplegame, the sessionkit
// example target program: init_player, move_player (owner or session signer), the Player
// account, Unauthorized (6000) and the InvalidToken (6001) it raises for bad sessions.
//
//go:embed example_game.json
var exampleGameJSON []byte

// ExampleGame parses the embedded example-game IDL.
func ExampleGame() (*IDL, error) { return Parse(exampleGameJSON) }
