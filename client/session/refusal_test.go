package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// Tokens for another target or another authority, and expired tokens: the session
// refuses to sign, and when made to sign anyway the game answers InvalidToken.
func TestWrongTokensAndExpiry(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	owner := e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	stranger := e.funded(1_000_000_000)

	forOwner, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	otherTarget, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV2, TargetProgram: otherGameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	otherAuthority, err := e.m.Create(e.ctx, stranger, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	move := func(s *Session) solana.Instruction {
		return e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)
	}

	// Another target: the session refuses to sign for the game it was not made for.
	_, err = otherTarget.Send(e.ctx, []solana.Instruction{move(otherTarget)})
	var ie *guard.RefusedError
	require.ErrorAs(t, err, &ie)
	require.ErrorIs(t, err, guard.ErrForeignProgram)
	require.Equal(t, 0, ie.Index)
	require.Equal(t, gameID, ie.Program)
	require.ErrorIs(t, e.sendUnchecked(otherTarget, move(otherTarget)), client.ErrInvalidToken)

	// Another authority: refused when the caller says whose player it moves, and the game
	// refuses the stranger's token for the owner's player.
	_, err = otherAuthority.SendWith(e.ctx, []solana.Instruction{move(otherAuthority)}, MoveParams{Authority: owner.PublicKey()})
	require.ErrorIs(t, err, ErrWrongAuthority)
	require.ErrorIs(t, e.sendUnchecked(otherAuthority, move(otherAuthority)), client.ErrInvalidToken)

	_, err = forOwner.SendWith(e.ctx, []solana.Instruction{move(forOwner)}, MoveParams{Authority: owner.PublicKey()})
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.playerState(player).Moves)

	// Past valid_until by the cluster clock: the session refuses, the game too.
	e.warp(time.Hour + time.Minute)
	expired, err := forOwner.Expired(e.ctx)
	require.NoError(t, err)
	require.True(t, expired)
	_, err = forOwner.Send(e.ctx, []solana.Instruction{move(forOwner)})
	require.ErrorIs(t, err, client.ErrExpired)
	require.ErrorIs(t, e.sendUnchecked(forOwner, move(forOwner)), client.ErrInvalidToken)
	require.Equal(t, uint64(1), e.playerState(player).Moves)
}

// The hardening issue's reproduction: a System transfer out of the session signer whose
// meta leaves IsSigner false was signed (the compiler merges the fee payer's flags) and
// drained the top-up. The guard now refuses it before signing, and nothing moves; the
// same holds for a foreign program that merely names the signer. With the program allowed
// explicitly the transfer goes through, as the caller asked.
func TestGuardRefusesDrainsOfTheTopUp(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	owner := e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	thief := solana.NewWallet().PublicKey()
	s, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	data, err := system.NewTransferInstruction(4_000_000, s.SessionSigner(), thief).Build().Data()
	require.NoError(t, err)
	drain := solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(s.SessionSigner(), true, false), // IsSigner false
		solana.NewAccountMeta(thief, true, false),
	}, data)
	move := e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)
	before := e.balance(s.SessionSigner())

	_, err = s.Send(e.ctx, []solana.Instruction{move, drain})
	var re *guard.RefusedError
	require.ErrorAs(t, err, &re)
	require.ErrorIs(t, err, guard.ErrForeignProgram)
	require.Equal(t, 1, re.Index)
	require.Equal(t, solana.SystemProgramID, re.Program)
	require.Equal(t, before, e.balance(s.SessionSigner()), "nothing was signed, so nothing moved")
	require.False(t, e.exists(thief))

	s.AllowPrograms(solana.SystemProgramID)
	_, err = s.Send(e.ctx, []solana.Instruction{move, drain})
	require.NoError(t, err)
	require.Equal(t, uint64(4_000_000), e.balance(thief))
}
