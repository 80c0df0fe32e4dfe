// Command quickstart is the README's first example: a local cluster, a session for the
// example game, 20 moves signed by the session key alone, and the revoke that returns
// the lamports.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

func main() {
	ctx := context.Background()
	game := examplegame.Game{ID: examplegame.ProgramID}

	// A throwaway cluster on this machine with the session program at MagicBlock's id and
	// the example game; a real backend dials its RPC provider instead.
	net, err := localnet.Start(ctx, localnet.WithPrograms(
		localnet.Program{ID: pda.MagicBlockProgramID, ELF: gplsession.ELF()},
		localnet.Program{ID: game.ID, ELF: examplegame.ELF()},
	))
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	fmt.Println("local cluster at", net.RPCURL())

	// The player's wallet, and its player account in the game.
	wallet, err := net.NewFundedKey(ctx, 1_000_000_000)
	if err != nil {
		log.Fatal(err)
	}
	initPlayer, err := game.InitPlayer(wallet.PublicKey())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := net.Send(ctx, wallet, []solana.Instruction{initPlayer}); err != nil {
		log.Fatal(err)
	}
	player, err := game.Player(wallet.PublicKey())
	if err != nil {
		log.Fatal(err)
	}

	// The local cluster's WebSocket port is not the RPC port + 1 that Dial assumes.
	m, err := session.Dial(ctx, net.RPCURL(), session.WithWebSocketURL(net.WSURL()))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	// The wallet signs once; the top-up pays the session key's move fees.
	sess, err := m.Create(ctx, wallet, session.CreateParams{
		Kind: session.KindV1, TargetProgram: game.ID, TopUp: 5_000_000, ValidFor: time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session token", sess.Token(), "signer", sess.SessionSigner())

	for range 20 {
		move := game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)
		if _, err := sess.Send(ctx, []solana.Instruction{move}); err != nil {
			log.Fatal(err)
		}
	}
	acct, err := net.RPC().GetAccountInfo(ctx, player)
	if err != nil {
		log.Fatal(err)
	}
	p, err := examplegame.DecodePlayer(acct.GetBinary())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d moves landed, player at (%d, %d)\n", p.Moves, p.X, p.Y)

	// Revoke closes the token and sweeps what the session key did not spend back to the
	// wallet, in one transaction.
	res, err := m.Revoke(ctx, sess, session.RevokeParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("revoked: %d lamports swept back to %s, fee %d\n", res.Swept, res.SweptTo, res.Fee)
}
