// Package examplegame embeds sessionkit's example game, built from the C source here, and builds
// its instructions and decodes its player accounts, for tests, demos and the API tour.
package examplegame

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/spl"
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
	buyItemDiscriminator    = [8]byte{80, 82, 193, 201, 216, 27, 70, 184}
	playerDiscriminator     = [8]byte{205, 222, 112, 7, 165, 155, 206, 218}
)

// PlayerSize is the player account's length in bytes.
const PlayerSize = 64

// playerSeed prefixes the player PDA seeds ["player", owner]; treasurySeed is the
// treasury owner's one seed.
const (
	playerSeed   = "player"
	treasurySeed = "treasury"
)

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

// Treasury is the owner of the game's treasury token accounts: the PDA ["treasury"].
func (g Game) Treasury() (solana.PublicKey, error) {
	addr, _, err := solana.FindProgramAddress([][]byte{[]byte(treasurySeed)}, g.ID)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("examplegame: deriving the treasury: %w", err)
	}
	return addr, nil
}

// TreasuryAccount is the treasury's associated token account for mint under
// tokenProgram (Token or Token-2022), the account buy_item pays into. Anyone may create
// it with the Associated Token program.
func (g Game) TreasuryAccount(mint, tokenProgram solana.PublicKey) (solana.PublicKey, error) {
	owner, err := g.Treasury()
	if err != nil {
		return solana.PublicKey{}, err
	}
	addr, err := spl.AssociatedTokenAddress(owner, mint, tokenProgram)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("examplegame: the treasury's token account: %w", err)
	}
	return addr, nil
}

// Purchase is a buy_item: Amount base units of Mint from Source (the session signer's
// token account, say) to the treasury, signed by Signer with its session Token.
type Purchase struct {
	Player, Signer, Token solana.PublicKey
	Source, Mint          solana.PublicKey
	// TokenProgram owns Mint: spl.TokenProgramID or spl.Token2022ProgramID.
	TokenProgram solana.PublicKey
	Amount       uint64
}

// BuyItem pays the game for an item: a checked transfer by CPI to the token program,
// with the signer's signature, after the session checks of move_player. The token
// program refuses it on chain when Source holds less than Amount.
func (g Game) BuyItem(p Purchase) (solana.Instruction, error) {
	treasury, err := g.TreasuryAccount(p.Mint, p.TokenProgram)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 16)
	copy(data, buyItemDiscriminator[:])
	binary.LittleEndian.PutUint64(data[8:], p.Amount)
	return solana.NewInstruction(g.ID, solana.AccountMetaSlice{
		solana.Meta(p.Player).WRITE(),
		solana.Meta(p.Signer).SIGNER(),
		solana.Meta(p.Token),
		solana.Meta(p.Source).WRITE(),
		solana.Meta(p.Mint),
		solana.Meta(treasury).WRITE(),
		solana.Meta(p.TokenProgram),
	}, data), nil
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
