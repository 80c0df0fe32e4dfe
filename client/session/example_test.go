package session_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The game-backend flow: the player's wallet signs once to create a session, the backend
// plays many moves with the ephemeral key alone, then revokes the session and sweeps the
// unspent top-up back to the wallet.
func Example_gameBackend() {
	ctx := context.Background()
	game := examplegame.Game{ID: examplegame.ProgramID}

	// A throwaway local cluster with the session program and the example game; a real
	// backend uses its RPC provider's endpoints instead.
	net, err := localnet.Start(ctx, localnet.WithPrograms(
		localnettest.SessionProgram(),
		localnet.Program{ID: game.ID, ELF: examplegame.ELF()},
	))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer net.Close()
	wallet, _ := net.NewFundedKey(ctx, 1_000_000_000) // lives in the player's browser
	initPlayer, _ := game.InitPlayer(wallet.PublicKey())
	if _, err := net.Send(ctx, wallet, []solana.Instruction{initPlayer}); err != nil {
		fmt.Println(err)
		return
	}

	// One Manager serves every player of the backend. The local cluster's WebSocket port
	// is not the RPC port + 1 that Dial assumes by default.
	m, err := session.Dial(ctx, net.RPCURL(), session.WithWebSocketURL(net.WSURL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	// 1. The backend prepares the session; the wallet signs it once; the backend checks
	// that it signed exactly what was prepared and submits it.
	pending, err := m.PrepareCreate(ctx, wallet.PublicKey(), session.CreateParams{
		Kind: session.KindV1, TargetProgram: game.ID, TopUp: 5_000_000, ValidFor: time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	signed := walletSigns(pending.Base64(), wallet) // in the browser
	if _, err := m.SubmitSigned(ctx, pending, signed); err != nil {
		fmt.Println(err)
		return
	}
	sess := pending.Session()

	// 2. Every move is signed by the session's ephemeral key alone.
	player, _ := game.Player(wallet.PublicKey())
	for range 20 {
		move := game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)
		if _, err := sess.Send(ctx, []solana.Instruction{move}); err != nil {
			fmt.Println(err)
			return
		}
	}

	// 3. Revoke: the token's rent and the unspent top-up go back to the wallet, and the
	// ephemeral key's account is closed.
	res, err := m.Revoke(ctx, sess, session.RevokeParams{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("20 moves for %d lamports of fees; %d lamports swept back to the wallet\n", 5_000_000-res.Swept-res.Fee, res.Swept)
	// 20 moves for 100000 lamports of fees; 4895000 lamports swept back to the wallet
}

func ExampleDial() {
	ctx := context.Background()
	// The WebSocket endpoint defaults to wss://api.devnet.solana.com, as the Solana CLI
	// derives it; a provider's API key goes in the URL or in a WithHeader header.
	m, err := session.Dial(ctx, "https://api.devnet.solana.com",
		session.WithProgramID(pda.MagicBlockProgramID),
		session.WithCommitment(rpc.CommitmentConfirmed),
		session.WithSenderOptions(sender.WithMaxSignings(5)))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	now, err := m.ClusterTime(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cluster time", time.Unix(now, 0).UTC())
}

// walletSigns stands in for a wallet adapter's signTransaction: decode, sign, encode.
func walletSigns(b64 string, wallet solana.PrivateKey) []byte {
	tx, err := solana.TransactionFromBase64(b64)
	if err != nil {
		return nil
	}
	if _, err := tx.PartialSign(func(k solana.PublicKey) *solana.PrivateKey {
		if k == wallet.PublicKey() {
			return &wallet
		}
		return nil
	}); err != nil {
		return nil
	}
	out, _ := tx.MarshalBinary()
	return out
}

// A session with a token cap: 50 GOLD (6 decimals) moved into the session signer's own
// token account in the create transaction the wallet signs, read back as a cap, and
// returned by the revoke with the unspent SOL.
func ExampleManager_Create_tokenTopUp() {
	ctx := context.Background()
	m, err := session.Dial(ctx, "http://127.0.0.1:8899")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	var wallet solana.PrivateKey // the player's key, where the backend holds it
	gold := solana.MustPublicKeyFromBase58("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
	s, err := m.Create(ctx, wallet, session.CreateParams{Kind: session.KindV1, TargetProgram: examplegame.ProgramID,
		TopUp: 10_000_000, Tokens: []session.TokenGrant{{Mint: gold, Amount: 50_000_000}}})
	if err != nil {
		log.Fatal(err)
	}
	caps, err := s.Caps(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("left:", caps.SOL, "lamports and", caps.Tokens[0].Remaining, "GOLD base units")
	res, err := m.Revoke(ctx, s, session.RevokeParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("returned:", res.Swept, "lamports and", res.Tokens[0].Amount, "GOLD base units")
}
