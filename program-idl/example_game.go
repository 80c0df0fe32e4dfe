package programidl

import _ "embed"

// exampleGameJSON is the Anchor 0.30 spec IDL of program/examplegame, the sessionkit
// example target program: init_player, move_player (owner or session signer), buy_item
// (a token payment to the game's treasury by CPI, with move_player's checks), the Player
// account, Unauthorized (6000), the InvalidToken (6001) it raises for bad sessions and
// WrongTreasury (6002).
//
//go:embed example_game.json
var exampleGameJSON []byte

// ExampleGame parses the embedded example-game IDL.
func ExampleGame() (*IDL, error) { return Parse(exampleGameJSON) }
