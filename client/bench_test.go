package client

import (
	"crypto/ed25519"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/near/borsh-go"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// The create_session benchmarks build the shape of the reference example
// create_session(Some(true), Some(ts), None) with fresh metas every iteration.
func benchCreate(b *testing.B, accts CreateSessionAccounts, cache *pda.Cache) {
	args := CreateArgs{TopUp: new(true), ClusterTime: 1_700_000_000, ValidUntil: new(int64(1_700_003_600)), PDACache: cache}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCreateSession(accts, args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewCreateSession(b *testing.B) {
	accts := CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t")}
	b.Run("token-given", func(b *testing.B) {
		a := accts
		a.SessionToken, _, _ = pda.SessionToken(pda.MagicBlockProgramID, a.TargetProgram, a.SessionSigner, a.Authority)
		benchCreate(b, a, nil)
	})
	b.Run("token-cached", func(b *testing.B) {
		benchCreate(b, accts, pda.NewCache(16))
	})
	b.Run("token-derived", func(b *testing.B) {
		benchCreate(b, accts, nil)
	})
}

func BenchmarkDecodeToken(b *testing.B) {
	prog := pda.MagicBlockProgramID
	v1, _ := SessionToken{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), ValidUntil: 1}.MarshalBinary()
	v2, _ := SessionTokenV2{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), FeePayer: key("f"), ValidUntil: 1}.MarshalBinary()
	b.Run("SessionToken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeSessionToken(prog, prog, v1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SessionTokenV2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeSessionTokenV2(prog, prog, v2); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("any", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeToken(prog, prog, v2); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("borsh-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var t borshSessionToken
			if err := borsh.Deserialize(&t, v1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSessionTx measures a game transaction whose only signer is the session key,
// built from a fresh instruction every iteration, next to bare signatures over the same
// message in the same run.
func BenchmarkSessionTx(b *testing.B) {
	k := testKey(b, "session")
	bh := solana.Hash(key("blockhash"))
	tok, _, _ := pda.SessionToken(pda.MagicBlockProgramID, key("game"), k.PublicKey(), key("player"))
	msg, err := txn.CompileLegacy(k.PublicKey(), bh, gameInstruction(k.PublicKey(), tok))
	if err != nil {
		b.Fatal(err)
	}
	std := ed25519.NewKeyFromSeed(k.Seed())

	b.Run("build+sign+serialize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := txn.CompileLegacy(k.PublicKey(), bh, gameInstruction(k.PublicKey(), tok))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Sign(k); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib-ed25519.Sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ed25519.Sign(std, msg.Bytes())
		}
	})
	b.Run("SessionKey.Sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k.Sign(msg.Bytes())
		}
	})
	b.Run("solana-go", func(b *testing.B) {
		pk := k.PrivateKey()
		getter := func(solana.PublicKey) *solana.PrivateKey { return &pk }
		b.ReportAllocs()
		for b.Loop() {
			tx, err := solana.NewTransaction([]solana.Instruction{gameInstruction(k.PublicKey(), tok)}, bh, solana.TransactionPayer(k.PublicKey()))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Sign(getter); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompileLegacy isolates message compilation (no signing).
func BenchmarkCompileLegacy(b *testing.B) {
	k := key("session")
	ix := gameInstruction(k, key("token"))
	bh := solana.Hash(key("blockhash"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := txn.CompileLegacy(k, bh, ix); err != nil {
			b.Fatal(err)
		}
	}
}
