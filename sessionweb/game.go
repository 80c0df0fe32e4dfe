package sessionweb

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/program/examplegame"
)

// Game turns what the page asks for into instructions: the server builds every
// transaction, the page only names a move.
type Game interface {
	// Setup is what goes before the create in the wallet's one transaction (making the
	// player's account, say); nil when nothing does.
	Setup(authority solana.PublicKey) ([]solana.Instruction, error)
	// Move is the instructions of the move the page named, for the session of signer
	// and token acting for authority.
	Move(authority, signer, token solana.PublicKey, move json.RawMessage) ([]solana.Instruction, error)
}

// ExampleGame is the Game of the example game at g.ID: moves are
// {"direction":"up"|"down"|"left"|"right"}; {"buy":N} builds a buy_item (the demo grant
// does not allow it: the page shows the relay's refusal).
func ExampleGame(g examplegame.Game) Game { return exampleGame{g} }

type exampleGame struct{ g examplegame.Game }

func (e exampleGame) Setup(authority solana.PublicKey) ([]solana.Instruction, error) {
	ix, err := e.g.InitPlayer(authority)
	if err != nil {
		return nil, err
	}
	return []solana.Instruction{ix}, nil
}

var directions = map[string]examplegame.Direction{
	"up": examplegame.Up, "down": examplegame.Down, "left": examplegame.Left, "right": examplegame.Right,
}

func (e exampleGame) Move(authority, signer, token solana.PublicKey, move json.RawMessage) ([]solana.Instruction, error) {
	var m struct {
		Direction string  `json:"direction"`
		Buy       *uint64 `json:"buy"`
	}
	if err := strictJSON(move, &m); err != nil {
		return nil, err
	}
	player, err := e.g.Player(authority)
	if err != nil {
		return nil, err
	}
	if m.Buy != nil {
		// A purchase paid from the session signer's token account: outside a grant that
		// allows move_player alone.
		ix, err := e.g.BuyItem(examplegame.Purchase{Player: player, Signer: signer, Token: token,
			Source: signer, Mint: solana.WrappedSol, TokenProgram: solana.TokenProgramID, Amount: *m.Buy})
		if err != nil {
			return nil, err
		}
		return []solana.Instruction{ix}, nil
	}
	d, ok := directions[m.Direction]
	if !ok {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("move: direction %q is not up, down, left or right", m.Direction))
	}
	return []solana.Instruction{e.g.Move(player, signer, token, d)}, nil
}
