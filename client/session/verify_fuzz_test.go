package session

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
)

// seededKey is the ed25519 key whose seed is n repeated, so that prepared transactions,
// their signatures and the corpus are the same on every run.
func seededKey(n byte) solana.PrivateKey {
	return solana.PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32)))
}

// signedBy is what a wallet adapter returns: wire decoded, signed by key, re-encoded.
func signedBy(tb testing.TB, wire []byte, key solana.PrivateKey) []byte {
	tb.Helper()
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.PartialSign(func(pk solana.PublicKey) *solana.PrivateKey {
		if pk == key.PublicKey() {
			return &key
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	out, err := tx.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// preparedFor makes the Pending of ixs paid by payer, with every signer but wallet already
// signed, as PrepareCreate and PrepareRevoke leave it.
func preparedFor(tb testing.TB, wallet, payer solana.PublicKey, ixs []solana.Instruction, server ...solana.PrivateKey) *Pending {
	tb.Helper()
	tx, err := solana.NewTransaction(ixs, solana.Hash{7, 7}, solana.TransactionPayer(payer))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.PartialSign(func(pk solana.PublicKey) *solana.PrivateKey {
		for i := range server {
			if server[i].PublicKey() == pk {
				return &server[i]
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	wire, err := tx.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := newPending(wire, wallet, 100, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// v1Envelope wraps a one-signature pending's message in a v1 transaction envelope that
// needs no signature: 0x81 0x00 reads as a one-signature count, and the 64 bytes in the
// signature's place are a v1 header whose one instruction's data is the prepared message.
func v1Envelope(message []byte) []byte {
	b := []byte{0x81, 0x00, 0, 0}
	b = append(b, make([]byte, 4+32)...) // config mask, blockhash
	b = append(b, 1, 0, 0, 0)            // one instruction, no account keys, program 0, no accounts
	b = binary.LittleEndian.AppendUint16(b, uint16(20+len(message)))
	b = append(b, make([]byte, 20)...)
	return append(b, message...)
}

func FuzzPendingVerify(f *testing.F) {
	wallet, ephemeral, other := seededKey(1), seededKey(2), seededKey(3)
	game := seededKey(4).PublicKey()
	create, err := client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: ephemeral.PublicKey(), Authority: wallet.PublicKey(), TargetProgram: game,
	}, client.CreateArgs{ClusterTime: 1_900_000_000, ValidFor: time.Hour, TopUp: new(true)})
	if err != nil {
		f.Fatal(err)
	}
	token, _, err := pda.Find(pda.V1, pda.MagicBlockProgramID, game, ephemeral.PublicKey(), wallet.PublicKey())
	if err != nil {
		f.Fatal(err)
	}
	revoke, err := client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: wallet.PublicKey()}, client.RevokeArgs{})
	if err != nil {
		f.Fatal(err)
	}
	sweep := system.NewTransferInstruction(5_000_000, ephemeral.PublicKey(), wallet.PublicKey()).Build()
	pendings := []*Pending{
		// create_session: the ephemeral key has signed, the wallet pays and signs.
		preparedFor(f, wallet.PublicKey(), wallet.PublicKey(), []solana.Instruction{create}, ephemeral),
		// PrepareRevoke of a V1 token: the authority need not sign, so the ephemeral key,
		// which pays and sweeps, is the only signer and the wallet adds nothing.
		preparedFor(f, wallet.PublicKey(), ephemeral.PublicKey(), []solana.Instruction{revoke, sweep}, ephemeral),
	}
	honest := make([][]byte, len(pendings))
	for i, p := range pendings {
		honest[i] = signedBy(f, p.Bytes(), wallet)
		f.Add(honest[i])
		f.Add(p.Bytes())
		f.Add(signedBy(f, p.Bytes(), other))
		f.Add(append(bytes.Clone(honest[i]), 0))
		f.Add(honest[i][:len(honest[i])-1])
		f.Add(append([]byte{0x80 | honest[i][0], 0}, honest[i][1:]...))
		for _, at := range []int{1, 1 + 64, len(honest[i]) - 1} {
			b := bytes.Clone(honest[i])
			b[at] ^= 1
			f.Add(b)
		}
	}
	f.Add(v1Envelope(pendings[1].message))
	f.Fuzz(func(t *testing.T, signed []byte) {
		for i, p := range pendings {
			tx, err := p.verify(signed)
			if err != nil {
				if !errors.Is(err, ErrTampered) {
					t.Fatalf("pending %d: error %v is not ErrTampered", i, err)
				}
				continue
			}
			// Without the wallet's key the only signature that verifies is the one the wallet
			// made: Go's ed25519 refuses non-canonical encodings, so nothing else may pass.
			if !bytes.Equal(signed, honest[i]) {
				t.Fatalf("pending %d accepted\n% x\nwhich is not the wallet-signed\n% x", i, signed, honest[i])
			}
			wire, err := tx.MarshalBinary()
			if err != nil || !bytes.Equal(wire, signed) {
				t.Fatalf("pending %d: the accepted transaction encodes as % x, %v", i, wire, err)
			}
			if err := tx.VerifySignatures(); err != nil {
				t.Fatalf("pending %d: %v", i, err)
			}
		}
	})
}

// Editing the transaction Pending.Transaction returns leaves the prepared bytes, and so
// what SubmitSigned accepts, as they were.
func TestPendingTransactionIsACopy(t *testing.T) {
	wallet := seededKey(1)
	ix := solana.NewInstruction(seededKey(4).PublicKey(), solana.AccountMetaSlice{solana.Meta(wallet.PublicKey()).WRITE().SIGNER()}, []byte{1, 2, 3})
	p := preparedFor(t, wallet.PublicKey(), wallet.PublicKey(), []solana.Instruction{ix})
	before := p.Bytes()
	tx := p.Transaction()
	tx.Message.Instructions[0].Data[0] = 9
	if !bytes.Equal(p.Bytes(), before) {
		t.Fatalf("prepared bytes changed to\n% x\nfrom\n% x", p.Bytes(), before)
	}
	if _, err := p.verify(signedBy(t, before, wallet)); err != nil {
		t.Fatal(err)
	}
}
