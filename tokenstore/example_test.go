package tokenstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

var (
	program   = solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")
	player    = solana.MustPublicKeyFromBase58("F8UvVsKnzWyp2nF8aDcqvQ2GVcRpqT91WDsAtvBKCMt9")
	game      = solana.MustPublicKeyFromBase58("Vote111111111111111111111111111111111111111")
	tokenAddr = solana.MustPublicKeyFromBase58("SysvarC1ock11111111111111111111111111111111")
)

// A backend stores the key of each session it creates and signs with it
// later, possibly from another process or after a restart.
func Example() {
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tokenstore-example-%d", os.Getpid()))
	defer os.RemoveAll(dir)

	// In production the master key comes from a KMS or secret manager.
	masterKey := bytes.Repeat([]byte{0x42}, 32)
	st, err := tokenstore.Create(ctx, dir, tokenstore.MasterKey(masterKey))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	key, err := txn.NewSessionKey(bytes.Repeat([]byte{7}, 32)) // txn.GenerateSessionKey(nil) in production
	if err != nil {
		log.Fatal(err)
	}
	err = st.Put(ctx, tokenstore.Record{
		ProgramID:     program,
		Version:       pda.V2,
		Token:         tokenAddr, // the session token PDA
		Authority:     player,
		TargetProgram: game,
		SessionSigner: key.PublicKey(),
		FeePayer:      player,
		ValidUntil:    time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).Unix(),
	}, key)
	if err != nil {
		log.Fatal(err)
	}
	key.Zero()

	recs, err := st.List(ctx, tokenstore.Filter{Authority: player})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		rec, signer, err := st.Get(ctx, r.Token)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("session", rec.Token, "valid until", time.Unix(rec.ValidUntil, 0).UTC().Format(time.DateOnly))
		fmt.Println("signer", signer) // prints the public key only
		signer.Zero()
	}
	// Output:
	// session SysvarC1ock11111111111111111111111111111111 valid until 2026-11-22
	// signer SessionKey(GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB)
}

// Open an existing store, or create it on first start. A wrong key is
// reported before any record is read.
func ExampleOpen() {
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tokenstore-example-open-%d", os.Getpid()))
	defer os.RemoveAll(dir)
	masterKey := bytes.Repeat([]byte{0x42}, 32)

	st, err := tokenstore.Open(ctx, dir, tokenstore.MasterKey(masterKey))
	if errors.Is(err, fs.ErrNotExist) {
		st, err = tokenstore.Create(ctx, dir, tokenstore.MasterKey(masterKey))
	}
	if err != nil {
		log.Fatal(err)
	}
	st.Close()

	_, err = tokenstore.Open(ctx, dir, tokenstore.MasterKey(bytes.Repeat([]byte{0x43}, 32)))
	fmt.Println(errors.Is(err, tokenstore.ErrWrongKey))
	// Output: true
}

// Keys move to and from the Solana CLI as keypair files.
func ExampleImportSolanaKeypair() {
	file, err := os.ReadFile("testdata/solana-keygen.json") // written by solana-keygen
	if err != nil {
		log.Fatal(err)
	}
	key, err := tokenstore.ImportSolanaKeypair(file)
	clear(file)
	if err != nil {
		log.Fatal(err)
	}
	defer key.Zero()
	fmt.Println(key.PublicKey())
	// Output: F8UvVsKnzWyp2nF8aDcqvQ2GVcRpqT91WDsAtvBKCMt9
}
