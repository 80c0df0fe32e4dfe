package program_test

import (
	"sync"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet/deploy"
	"github.com/sessionkit/sessionkit/program"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The package's example game, deployed once through the upgradeable loader under a
// fresh id: the game reads its id from the runtime, and the deploy runs the loader's
// verifier on the committed ELF.
var deployedGame struct {
	once sync.Once
	game examplegame.Game
	err  error
}

func (e *env) game() examplegame.Game {
	e.t.Helper()
	deployedGame.once.Do(func() {
		payer := e.wallet(10_000_000_000)
		programKey := newKey(e.t)
		var id solana.PublicKey
		id, deployedGame.err = deploy.Deploy(e.ctx, e.net.RPC(), payer, programKey, program.ExampleGameELF(), deploy.Options{})
		deployedGame.game = examplegame.Game{ID: id}
	})
	require.NoError(e.t, deployedGame.err)
	return deployedGame.game
}

// player reads and decodes a player account.
func (e *env) player(addr solana.PublicKey) examplegame.PlayerAccount {
	e.t.Helper()
	acc := e.account(addr)
	require.NotNil(e.t, acc, "player account")
	p, err := examplegame.DecodePlayer(acc.Data.GetBinary())
	require.NoError(e.t, err)
	return *p
}

// newPlayer creates a funded owner's player and returns the owner and the player.
func (e *env) newPlayer(g examplegame.Game) (solana.PrivateKey, solana.PublicKey) {
	e.t.Helper()
	owner := e.wallet(1_000_000_000)
	e.send(owner, ixs(must(e.t)(g.InitPlayer(owner.PublicKey()))))
	player, err := g.Player(owner.PublicKey())
	require.NoError(e.t, err)
	return owner, player
}

// init_player creates the PDA paid by the owner; a second init fails in the System
// program.
func TestGameInitPlayer(t *testing.T) {
	e := setup(t)
	g := e.game()
	rent := e.rent(examplegame.PlayerSize)
	owner := e.wallet(1_000_000_000)
	init := must(t)(g.InitPlayer(owner.PublicKey()))
	res := e.send(owner, ixs(init))
	require.Equal(t, uint64(feePerSignature), res.fee)
	require.Equal(t, 1_000_000_000-rent-res.fee, e.balance(owner.PublicKey()))
	player, err := g.Player(owner.PublicKey())
	require.NoError(t, err)
	acc := e.account(player)
	require.Equal(t, g.ID, acc.Owner)
	require.Equal(t, rent, acc.Lamports)
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey()}, e.player(player))

	_, err = e.simulate(owner, ixs(must(t)(g.InitPlayer(owner.PublicKey()))))
	requireProgramError(t, err, solana.SystemProgramID, 0, nil)
}

// The game played by the owner and through V1 and V2 sessions, then every way a
// session can be refused: expired (at valid_until exactly), another authority's token,
// a token for another program, a revoked token, and no token at all.
func TestGameSessions(t *testing.T) {
	e := setup(t)
	g := e.game()
	now := e.freezeClock()
	owner, player := e.newPlayer(g)

	e.send(owner, ixs(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Up)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), Y: 1, Moves: 1}, e.player(player))

	// A V1 session paid by the owner: the session key alone signs and pays the fee.
	signerV1 := newKey(t)
	tokenV1 := e.createV1(owner, signerV1, g.ID, client.WithTopUp(true),
		client.WithValidUntil(now+600), client.WithClusterTime(now))
	res := e.send(signerV1, ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Right)))
	require.Equal(t, client.DefaultTopUpLamports-res.fee, e.balance(signerV1.PublicKey()))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: 1, Y: 1, Moves: 2}, e.player(player))

	// A V2 session sponsored by a backend.
	sponsor := e.wallet(1_000_000_000)
	signerV2 := newKey(t)
	tokenV2 := e.createV2(sponsor, owner, signerV2, g.ID, client.WithTopUp(true),
		client.WithValidUntil(now+900), client.WithClusterTime(now))
	e.send(signerV2, ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Down)))
	e.send(signerV2, ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Left)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: 0, Y: 0, Moves: 4}, e.player(player))

	intruder := e.wallet(1_000_000_000)
	signerOther := newKey(t)
	otherAuthority := e.createV1(intruder, signerOther, g.ID, client.WithTopUp(true))
	signerElsewhere := newKey(t)
	otherTarget := e.createV1(owner, signerElsewhere, sessionID, client.WithTopUp(true))
	signerRevoked := newKey(t)
	revoked := e.createV1(owner, signerRevoked, g.ID, client.WithTopUp(true))
	e.send(owner, ixs(must(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: revoked, Authority: owner.PublicKey()}))))
	outsider := e.wallet(1_000_000_000)

	tests := []struct {
		name     string
		signer   solana.PrivateKey
		token    solana.PublicKey // the game's id: no session
		code     uint32
		sentinel error
	}{
		{name: "token of another authority", signer: signerOther, token: otherAuthority, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "token for another program", signer: signerElsewhere, token: otherTarget, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "revoked token", signer: signerRevoked, token: revoked, code: 3012, sentinel: client.ErrAccountNotInitialized},
		{name: "another session's token", signer: signerV2, token: tokenV1, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "forged token off its PDA", signer: signerV1, token: fixtures.forgedV1, code: 6001, sentinel: client.ErrInvalidToken},
		{name: "token account without a discriminator", signer: signerV1, token: fixtures.noDiscriminator, code: 3001},
		{name: "V2 token one byte short", signer: signerV1, token: fixtures.shortV2, code: 3003},
		{name: "token not owned by the session program", signer: signerV1, token: player, code: 3007, sentinel: client.ErrAccountOwnedByWrongProgram},
		{name: "outsider without a session", signer: outsider, token: g.ID, code: 6000},
		{name: "session key without its token", signer: signerV1, token: g.ID, code: 6000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, err := e.simulate(tc.signer, ixs(g.Move(player, tc.signer.PublicKey(), tc.token, examplegame.Up)))
			pe := requireProgramError(t, err, g.ID, tc.code, tc.sentinel)
			if tc.code == 6000 {
				// The game's own 6000, not the session program's ValidityTooLong.
				require.Equal(t, "Unauthorized", pe.Name)
				require.NotErrorIs(t, err, client.ErrValidityTooLong)
			}
		})
	}

	// Expiry is now >= valid_until, judged by the cluster clock, for both versions.
	e.setClock(now + 599)
	e.send(signerV1, ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Up)))
	e.setClock(now + 600)
	_, err := e.simulate(signerV1, ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Up)))
	requireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
	e.send(signerV2, ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Up)))
	e.setClock(now + 900)
	_, err = e.simulate(signerV2, ixs(g.Move(player, signerV2.PublicKey(), tokenV2, examplegame.Up)))
	requireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
	// The owner needs no session.
	e.send(owner, ixs(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Left)))
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: -1, Y: 2, Moves: 7}, e.player(player))
}

// Malformed game instructions, with Anchor's errors.
func TestGameErrors(t *testing.T) {
	e := setup(t)
	g := e.game()
	owner, player := e.newPlayer(g)
	stranger := e.wallet(1_000_000_000)
	moveIx := func() *instruction {
		return edit(t)(g.MoveAsOwner(player, owner.PublicKey(), examplegame.Up), nil)
	}
	initIx := func(o solana.PublicKey) *instruction { return edit(t)(g.InitPlayer(o)) }
	moveDisc := moveIx().data[:8]
	tests := []struct {
		name     string
		ix       *instruction
		payer    solana.PrivateKey
		code     uint32
		sentinel error
	}{
		{name: "move: no direction", ix: moveIx().setData(moveDisc), payer: owner, code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "move: direction 4", ix: moveIx().setData(cat(moveDisc, []byte{4})), payer: owner, code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "move: two accounts", ix: moveIx().truncateAccounts(2), payer: owner, code: 3005},
		{name: "move: player never created", ix: moveIx().setAccount(0, must(t)(g.InitPlayer(stranger.PublicKey())).Accounts()[0].PublicKey), payer: owner, code: 3012, sentinel: client.ErrAccountNotInitialized},
		{name: "move: player is a wallet", ix: moveIx().setAccount(0, stranger.PublicKey()), payer: owner, code: 3007, sentinel: client.ErrAccountOwnedByWrongProgram},
		{name: "move: signer did not sign", ix: moveIx().setSigner(1, false), payer: stranger, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "move: player read-only", ix: moveIx().setWritable(0, false), payer: owner, code: 2000, sentinel: client.ErrConstraintMut},
		{name: "init: address of another owner", ix: initIx(owner.PublicKey()).setAccount(1, stranger.PublicKey()), payer: stranger, code: 2006, sentinel: client.ErrConstraintSeeds},
		{name: "init: owner did not sign", ix: initIx(owner.PublicKey()).setSigner(1, false), payer: stranger, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "init: system program is a wallet", ix: initIx(stranger.PublicKey()).setAccount(2, owner.PublicKey()), payer: stranger, code: 3008},
		{name: "unknown instruction", ix: moveIx().setData([]byte("sessions")), payer: owner, code: 101, sentinel: client.ErrInstructionFallbackNotFound},
		{name: "short data", ix: moveIx().setData([]byte{1}), payer: owner, code: 101, sentinel: client.ErrInstructionFallbackNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			_, err := e.simulate(tc.payer, ixs(tc.ix.build()))
			requireProgramError(t, err, g.ID, tc.code, tc.sentinel)
		})
	}
}
