// Package examplegame embeds sessionkit's example game, built from the C source here, and builds
// its instructions and decodes its player accounts, for tests, demos and the API tour.
package examplegame

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// Direction is a move_player step; the values are the IDL's enum variant indices.
type Direction uint8

// The four directions of move_player.
const (
	Up Direction = iota
	Down
	Left
	Right
)

func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	case Left:
		return "left"
	case Right:
		return "right"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Discriminators: sha256("global:<name>")[:8] and sha256("account:Player")[:8].
var (
	initPlayerDiscriminator = [8]byte{114, 27, 219, 144, 50, 15, 228, 66}
	movePlayerDiscriminator = [8]byte{17, 58, 68, 221, 186, 117, 140, 231}
	playerDiscriminator     = [8]byte{205, 222, 112, 7, 165, 155, 206, 218}
)

// PlayerSize is the player account's length in bytes.
const PlayerSize = 64

// playerSeed prefixes the player PDA seeds ["player", owner].
const playerSeed = "player"

// ErrNotPlayer means account data is not a player account.
var ErrNotPlayer = errors.New("examplegame: not a player account")

// Game is the example game deployed at ID. Tests deploy it under fresh ids; the CLI and
// demos use ProgramID.
type Game struct {
	ID solana.PublicKey
}

// Player is the address of owner's player account.
func (g Game) Player(owner solana.PublicKey) (solana.PublicKey, error) {
	addr, _, err := solana.FindProgramAddress([][]byte{[]byte(playerSeed), owner[:]}, g.ID)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("examplegame: deriving the player of %s: %w", owner, err)
	}
	return addr, nil
}

// InitPlayer creates owner's player account at (0, 0); owner signs and pays the rent.
func (g Game) InitPlayer(owner solana.PublicKey) (solana.Instruction, error) {
	player, err := g.Player(owner)
	if err != nil {
		return nil, err
	}
	return solana.NewInstruction(g.ID, solana.AccountMetaSlice{
		solana.Meta(player).WRITE(),
		solana.Meta(owner).WRITE().SIGNER(),
		solana.Meta(solana.SystemProgramID),
	}, initPlayerDiscriminator[:]), nil
}

// Move moves player one step, signed by a session signer presenting its session token.
func (g Game) Move(player, sessionSigner, sessionToken solana.PublicKey, d Direction) solana.Instruction {
	data := make([]byte, 9)
	copy(data, movePlayerDiscriminator[:])
	data[8] = byte(d)
	return solana.NewInstruction(g.ID, solana.AccountMetaSlice{
		solana.Meta(player).WRITE(),
		solana.Meta(sessionSigner).SIGNER(),
		solana.Meta(sessionToken),
	}, data)
}

// MoveAsOwner moves player one step signed by its owner, without a session: the token
// slot holds the game's own id, Anchor's marker for an absent optional account.
func (g Game) MoveAsOwner(player, owner solana.PublicKey, d Direction) solana.Instruction {
	return g.Move(player, owner, g.ID, d)
}

// PlayerAccount is a decoded player account.
type PlayerAccount struct {
	Owner solana.PublicKey
	X, Y  int64
	Moves uint64
}

// DecodePlayer decodes a player account's data.
func DecodePlayer(data []byte) (*PlayerAccount, error) {
	if len(data) != PlayerSize || [8]byte(data[:8]) != playerDiscriminator {
		return nil, fmt.Errorf("%w (%d bytes)", ErrNotPlayer, len(data))
	}
	return &PlayerAccount{
		Owner: solana.PublicKeyFromBytes(data[8:40]),
		X:     int64(binary.LittleEndian.Uint64(data[40:])),
		Y:     int64(binary.LittleEndian.Uint64(data[48:])),
		Moves: binary.LittleEndian.Uint64(data[56:]),
	}, nil
}
