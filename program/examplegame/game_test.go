package examplegame_test

import (
	"slices"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/programtest"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// init_player creates the PDA paid by the owner; a second init fails in the System
// program.
func TestGameInitPlayer(t *testing.T) {
	e := programtest.Setup(t)
	g := e.Game()
	rent := e.Rent(examplegame.PlayerSize)
	owner := e.Wallet(1_000_000_000)
	init := e.Must(g.InitPlayer(owner.PublicKey()))
	res := e.Send(owner, programtest.Ixs(init))
	require.Equal(t, uint64(programtest.FeePerSignature), res.Fee)
	require.Equal(t, 1_000_000_000-rent-res.Fee, e.Balance(owner.PublicKey()))
	player, err := g.Player(owner.PublicKey())
	require.NoError(t, err)
	acc := e.Account(player)
	require.Equal(t, g.ID, acc.Owner)
	require.Equal(t, rent, acc.Lamports)
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey()}, e.Player(player))

	_, err = e.Simulate(owner, programtest.Ixs(e.Must(g.InitPlayer(owner.PublicKey()))))
	programtest.RequireProgramError(t, err, solana.SystemProgramID, 0, nil)
}

// The game played by the owner and through V1 and V2 sessions, then every way a
// session can be refused: expired (at valid_until exactly), another authority's token,
// a token for another program, a revoked token, and no token at all.
func TestGameSessions(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	g := e.Game()
	now := e.FreezeClock()
	owner, player := e.NewPlayer(g)

	e.Send(owner, programtest.Ixs(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Up)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), Y: 1, Moves: 1}, e.Player(player))

	// A V1 session paid by the owner: the session key alone signs and pays the fee.
	signerV1 := programtest.NewKey(t)
	tokenV1 := e.CreateV1(owner, signerV1, g.ID, client.CreateArgs{TopUp: new(true), ValidUntil: new(int64(now + 600)), ClusterTime: now})
	res := e.Send(signerV1, programtest.Ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Right)))
	require.Equal(t, client.DefaultTopUpLamports-res.Fee, e.Balance(signerV1.PublicKey()))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: 1, Y: 1, Moves: 2}, e.Player(player))

	// A V2 session sponsored by a backend.
	sponsor := e.Wallet(1_000_000_000)
	signerV2 := programtest.NewKey(t)
	tokenV2 := e.CreateV2(sponsor, owner, signerV2, g.ID, client.CreateArgs{TopUp: new(true), ValidUntil: new(int64(now + 900)), ClusterTime: now})
	e.Send(signerV2, programtest.Ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Down)))
	e.Send(signerV2, programtest.Ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Left)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: 0, Y: 0, Moves: 4}, e.Player(player))

	intruder := e.Wallet(1_000_000_000)
	signerOther := programtest.NewKey(t)
	otherAuthority := e.CreateV1(intruder, signerOther, g.ID, client.CreateArgs{TopUp: new(true)})
	signerElsewhere := programtest.NewKey(t)
	otherTarget := e.CreateV1(owner, signerElsewhere, programtest.SessionID, client.CreateArgs{TopUp: new(true)})
	signerRevoked := programtest.NewKey(t)
	revoked := e.CreateV1(owner, signerRevoked, g.ID, client.CreateArgs{TopUp: new(true)})
	e.Send(owner, programtest.Ixs(e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: revoked, Authority: owner.PublicKey()}, client.RevokeArgs{}))))
	outsider := e.Wallet(1_000_000_000)

	tests := []struct {
		name     string
		signer   solana.PrivateKey
		token    solana.PublicKey // the game's id: no session
		code     uint32
		sentinel error
	}{
		{name: "token of another authority", signer: signerOther, token: otherAuthority, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "token for another program", signer: signerElsewhere, token: otherTarget, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "revoked token", signer: signerRevoked, token: revoked, code: 3012, sentinel: txn.ErrAccountNotInitialized},
		{name: "another session's token", signer: signerV2, token: tokenV1, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "forged token off its PDA", signer: signerV1, token: programtest.Fixtures.ForgedV1, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "token account without a discriminator", signer: signerV1, token: programtest.Fixtures.NoDiscriminator, code: 3001},
		{name: "V2 token one byte short", signer: signerV1, token: programtest.Fixtures.ShortV2, code: 3003},
		{name: "token not owned by the session program", signer: signerV1, token: player, code: 3007, sentinel: txn.ErrAccountOwnedByWrongProgram},
		{name: "outsider without a session", signer: outsider, token: g.ID, code: 6000},
		{name: "session key without its token", signer: signerV1, token: g.ID, code: 6000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := programtest.Setup(t)
			_, err := e.Simulate(tc.signer, programtest.Ixs(g.Move(player, tc.signer.PublicKey(), tc.token, examplegame.Up)))
			pe := programtest.RequireProgramError(t, err, g.ID, tc.code, tc.sentinel)
			if tc.code == 6000 {
				// The game's own 6000, not the session program's ValidityTooLong.
				require.Equal(t, "Unauthorized", pe.Name)
				require.NotErrorIs(t, err, client.ErrValidityTooLong)
			}
		})
	}

	// Expiry is now >= valid_until, judged by the cluster clock, for both versions.
	e.SetClock(now + 599)
	e.Send(signerV1, programtest.Ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Up)))
	e.SetClock(now + 600)
	_, err := e.Simulate(signerV1, programtest.Ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Up)))
	programtest.RequireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
	e.Send(signerV2, programtest.Ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Up)))
	e.SetClock(now + 900)
	_, err = e.Simulate(signerV2, programtest.Ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Up)))
	programtest.RequireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
	// The owner needs no session.
	e.Send(owner, programtest.Ixs(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Left)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: -1, Y: 2, Moves: 7}, e.Player(player))
}

// Malformed game instructions, with Anchor's errors.
func TestGameErrors(t *testing.T) {
	e := programtest.Setup(t)
	g := e.Game()
	owner, player := e.NewPlayer(g)
	stranger := e.Wallet(1_000_000_000)
	moveIx := func() *programtest.Instruction {
		return e.Edit(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Up), nil)
	}
	initIx := func(o solana.PublicKey) *programtest.Instruction { return e.Edit(g.InitPlayer(o)) }
	moveDisc := moveIx().Data()[:8]
	tests := []struct {
		name     string
		ix       *programtest.Instruction
		payer    solana.PrivateKey
		code     uint32
		sentinel error
	}{
		{name: "move: no direction", ix: moveIx().SetData(moveDisc), payer: owner, code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "move: direction 4", ix: moveIx().SetData(slices.Concat(moveDisc, []byte{4})), payer: owner, code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "move: two accounts", ix: moveIx().TruncateAccounts(2), payer: owner, code: 3005},
		{name: "move: player never created", ix: moveIx().SetAccount(0, e.Must(g.InitPlayer(stranger.PublicKey())).Accounts()[0].PublicKey), payer: owner, code: 3012, sentinel: txn.ErrAccountNotInitialized},
		{name: "move: player is a wallet", ix: moveIx().SetAccount(0, stranger.PublicKey()), payer: owner, code: 3007, sentinel: txn.ErrAccountOwnedByWrongProgram},
		{name: "move: signer did not sign", ix: moveIx().SetSigner(1, false), payer: stranger, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "move: player read-only", ix: moveIx().SetWritable(0, false), payer: owner, code: 2000, sentinel: txn.ErrConstraintMut},
		{name: "init: address of another owner", ix: initIx(owner.PublicKey()).SetAccount(1, stranger.PublicKey()), payer: stranger, code: 2006, sentinel: txn.ErrConstraintSeeds},
		{name: "init: owner did not sign", ix: initIx(owner.PublicKey()).SetSigner(1, false), payer: stranger, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "init: system program is a wallet", ix: initIx(stranger.PublicKey()).SetAccount(2, owner.PublicKey()), payer: stranger, code: 3008},
		{name: "unknown instruction", ix: moveIx().SetData([]byte("sessions")), payer: owner, code: 101, sentinel: txn.ErrInstructionFallbackNotFound},
		{name: "short data", ix: moveIx().SetData([]byte{1}), payer: owner, code: 101, sentinel: txn.ErrInstructionFallbackNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := programtest.Setup(t)
			_, err := e.Simulate(tc.payer, programtest.Ixs(tc.ix.Build()))
			programtest.RequireProgramError(t, err, g.ID, tc.code, tc.sentinel)
		})
	}
}
