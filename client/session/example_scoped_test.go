package session_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// A scoped session end to end: the grant the player sees, one create the wallet signs
// (the session, its 50 GOLD top-up and the grant's hash in a memo), moves within the
// grant, refusals before signing with their numbers, what is left and who enforces
// it, and the revoke returning the GOLD left.
func Example_scoped() {
	ctx := context.Background()
	game := examplegame.Game{ID: examplegame.ProgramID}
	net, err := localnet.Start(ctx, localnet.WithPrograms(
		localnettest.SessionProgram(),
		localnet.Program{ID: game.ID, ELF: examplegame.ELF()},
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer net.Close()
	wallet, _ := net.NewFundedKey(ctx, 1_000_000_000)
	gold, treasury, err := exampleGold(ctx, net, game, wallet)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := session.Dial(ctx, net.RPCURL(), session.WithWebSocketURL(net.WSURL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	// 1. The grant, as the wallet UI shows it; Create fills in the signer and expiry.
	doc := fmt.Sprintf(`{"version": 1, "targetProgram": %q, "permissions": [
	  {"type": "token-limit", "data": {"mint": %q, "perTransaction": "20000000", "total": "50000000", "simulate": true}},
	  {"type": "instructions", "data": {"allow": ["move_player", "buy_item"]}},
	  {"type": "max-uses", "data": {"count": 3}}]}`, game.ID, gold)
	g, err := grant.Parse([]byte(doc))
	if err != nil {
		fmt.Println(err)
		return
	}

	// 2. One create, one signature of the wallet: the token, 50 GOLD moved into the
	// session's own token account (the chain's cap) and the grant's SHA-256 in a memo.
	sess, err := m.Create(ctx, wallet, session.CreateParams{Kind: session.KindV1, TargetProgram: game.ID,
		TopUp: 5_000_000, ValidFor: time.Hour, Grant: g,
		Tokens: []session.TokenGrant{{Mint: gold, Amount: 50_000_000}}})
	if err != nil {
		fmt.Println(err)
		return
	}

	// 3. Moves within the grant: a move and a 15 GOLD purchase (buy_item pays by CPI;
	// the limit's "simulate" counts it).
	player, _ := game.Player(wallet.PublicKey())
	sessionGold := sess.TokenGrants()[0].Account
	move := game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)
	buy, _ := game.BuyItem(examplegame.Purchase{Player: player, Signer: sess.SessionSigner(), Token: sess.Token(),
		Source: sessionGold, Mint: gold, TokenProgram: spl.TokenProgramID, Amount: 15_000_000})
	for _, ix := range []solana.Instruction{move, buy} {
		if _, err := sess.Send(ctx, []solana.Instruction{ix}); err != nil {
			fmt.Println(err)
			return
		}
	}

	// 4. Refused before the key signs: a direct transfer of 25 GOLD, over the 20 a
	// transaction (the guard measures it from the compiled message) ...
	sess.AllowPrograms(spl.TokenProgramID)
	pay, _ := spl.TransferChecked(spl.TokenProgramID, sessionGold, gold, treasury, sess.SessionSigner(), 25_000_000, 6)
	_, err = sess.Send(ctx, []solana.Instruction{pay})
	var refused *guard.RefusedError
	fmt.Println("refused:", errors.As(err, &refused) && errors.Is(err, guard.ErrSpendLimit))
	// ... and a fourth move, past the grant's 3.
	if _, err := sess.Send(ctx, []solana.Instruction{move}); err != nil {
		fmt.Println(err)
		return
	}
	_, err = sess.Send(ctx, []solana.Instruction{move})
	var bound *session.BoundError
	if errors.As(err, &bound) {
		fmt.Println("refused:", bound.Bound, bound.Used, "used +", bound.Requested, ">", bound.Limit)
	}

	// 5. What is left: the chain's caps, and the grant's budgets sessionkit keeps.
	left, err := sess.Remaining(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chain:", left.Chain.Tokens[0].Remaining, "GOLD base units in the session's account")
	for _, b := range left.Grant {
		fmt.Println("sessionkit:", b.Bound, b.Left, "of", b.Limit, "left")
	}

	// 6. Revoke, signed by the session key alone, returns the GOLD and SOL left.
	res, err := m.Revoke(ctx, sess, session.RevokeParams{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("returned:", res.Tokens[0].Amount, "GOLD base units")
}

// exampleGold makes the example's game token: a GOLD mint (6 decimals), 1,000 GOLD in
// the wallet's account, the treasury's account, and the wallet's player.
func exampleGold(ctx context.Context, net *localnet.Net, game examplegame.Game, wallet solana.PrivateKey) (gold, treasury solana.PublicKey, err error) {
	mint := solana.NewWallet().PrivateKey
	gold = mint.PublicKey()
	rent, err := net.RPC().GetMinimumBalanceForRentExemption(ctx, spl.MintLen, rpc.CommitmentConfirmed)
	if err != nil {
		return gold, treasury, err
	}
	init, err := spl.InitializeMint2(spl.TokenProgramID, gold, wallet.PublicKey(), 6)
	if err != nil {
		return gold, treasury, err
	}
	owner, err := game.Treasury()
	if err != nil {
		return gold, treasury, err
	}
	ixs := []solana.Instruction{system.NewCreateAccountInstruction(rent, spl.MintLen, spl.TokenProgramID, wallet.PublicKey(), gold).Build(), init}
	for _, o := range []solana.PublicKey{wallet.PublicKey(), owner} {
		ix, err := spl.CreateIdempotent(wallet.PublicKey(), o, gold, spl.TokenProgramID)
		if err != nil {
			return gold, treasury, err
		}
		ixs = append(ixs, ix)
	}
	walletGold, err := spl.AssociatedTokenAddress(wallet.PublicKey(), gold, spl.TokenProgramID)
	if err != nil {
		return gold, treasury, err
	}
	mintTo, err := spl.MintTo(spl.TokenProgramID, gold, walletGold, wallet.PublicKey(), 1_000_000_000)
	if err != nil {
		return gold, treasury, err
	}
	initPlayer, err := game.InitPlayer(wallet.PublicKey())
	if err != nil {
		return gold, treasury, err
	}
	if _, err := net.Send(ctx, wallet, append(ixs, mintTo, initPlayer), mint); err != nil {
		return gold, treasury, err
	}
	treasury, err = game.TreasuryAccount(gold, spl.TokenProgramID)
	return gold, treasury, err
}
