package sessionweb

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// policyAdmitter judges messages with the guard alone, as a session without a grant
// does, without a cluster.
type policyAdmitter struct{ p guard.Policy }

func (a *policyAdmitter) SessionSigner() solana.PublicKey { return a.p.Signer }

func (a *policyAdmitter) AdmitMove(_ context.Context, msg []byte) error {
	var s guard.Spend
	return a.p.Measure(msg, &s)
}

type relayFixture struct {
	relay, signer *txn.SessionKey
	admit         *policyAdmitter
	token, player solana.PublicKey
}

func newRelayFixture(t testing.TB) *relayFixture {
	relay, err := txn.GenerateSessionKey(nil)
	require.NoError(t, err)
	signer, err := txn.GenerateSessionKey(nil)
	require.NoError(t, err)
	return &relayFixture{relay: relay, signer: signer, token: solana.NewWallet().PublicKey(), player: solana.NewWallet().PublicKey(),
		admit: &policyAdmitter{guard.Policy{Signer: signer.PublicKey(), TargetProgram: examplegame.ProgramID}}}
}

func (f *relayFixture) move() solana.Instruction {
	return examplegame.Game{ID: examplegame.ProgramID}.Move(f.player, f.signer.PublicKey(), f.token, examplegame.Up)
}

// message compiles ixs with payer as fee payer and returns it with the signer's signature.
func (f *relayFixture) message(t testing.TB, payer solana.PublicKey, ixs ...solana.Instruction) ([]byte, solana.Signature) {
	msg, err := txn.CompileLegacy(payer, solana.Hash{7}, ixs...)
	require.NoError(t, err)
	return msg.Bytes(), f.signer.Sign(msg.Bytes())
}

func TestCosign(t *testing.T) {
	f := newRelayFixture(t)
	other := solana.NewWallet().PublicKey()
	good, goodSig := f.message(t, f.relay.PublicKey(), f.move())
	tests := []struct {
		name  string
		msg   func() ([]byte, solana.Signature)
		code  string
		guard error
	}{
		{"a move", func() ([]byte, solana.Signature) { return good, goodSig }, "", nil},
		{"another fee payer", func() ([]byte, solana.Signature) { return f.message(t, other, f.move()) }, CodeFeePayer, nil},
		{"the signer pays", func() ([]byte, solana.Signature) { return f.message(t, f.signer.PublicKey(), f.move()) }, CodeFeePayer, nil},
		{"a transfer from the relay", func() ([]byte, solana.Signature) {
			return f.message(t, f.relay.PublicKey(), f.move(), system.NewTransferInstruction(1, f.relay.PublicKey(), other).Build())
		}, CodeFeePayer, nil},
		{"a transfer from the signer", func() ([]byte, solana.Signature) {
			return f.message(t, f.relay.PublicKey(), f.move(), system.NewTransferInstruction(1, f.signer.PublicKey(), other).Build())
		}, CodeRefused, guard.ErrForeignProgram},
		{"a third signer", func() ([]byte, solana.Signature) {
			ix := solana.NewInstruction(examplegame.ProgramID, solana.AccountMetaSlice{solana.Meta(other).SIGNER()}, nil)
			return f.message(t, f.relay.PublicKey(), f.move(), ix)
		}, CodeRefused, nil},
		{"a signature over other bytes", func() ([]byte, solana.Signature) { return good, f.signer.Sign(good[1:]) }, CodeSignature, nil},
		{"a versioned message", func() ([]byte, solana.Signature) { return append([]byte{0x80}, good...), goodSig }, CodeBadRequest, nil},
		{"trailing bytes", func() ([]byte, solana.Signature) {
			m := append(append([]byte(nil), good...), 0)
			return m, f.signer.Sign(m)
		}, CodeBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, sig := tt.msg()
			wire, err := cosign(context.Background(), f.relay, f.admit, msg, sig)
			if tt.code == "" {
				require.NoError(t, err)
				tx, err := solana.TransactionFromBytes(wire)
				require.NoError(t, err)
				require.NoError(t, tx.VerifySignatures())
				require.Equal(t, f.relay.PublicKey(), tx.Message.AccountKeys[0])
				return
			}
			require.Nil(t, wire)
			got := classify(err)
			if tt.guard != nil {
				require.ErrorIs(t, err, tt.guard)
				got = classify(err)
			}
			require.Equal(t, tt.code, got.Code, "%v", err)
		})
	}
}

func TestDecodeRelay(t *testing.T) {
	msg := base64.StdEncoding.EncodeToString([]byte{1, 0, 0, 1})
	sig := base64.StdEncoding.EncodeToString(make([]byte, 64))
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"good", `{"session":"s","message":"` + msg + `","signature":"` + sig + `"}`, true},
		{"unknown field", `{"session":"s","message":"` + msg + `","signature":"` + sig + `","x":1}`, false},
		{"trailing", `{"session":"s","message":"` + msg + `","signature":"` + sig + `"}{}`, false},
		{"short signature", `{"session":"s","message":"` + msg + `","signature":"AAAA"}`, false},
		{"no session", `{"message":"` + msg + `","signature":"` + sig + `"}`, false},
		{"not base64", `{"session":"s","message":"!!","signature":"` + sig + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := decodeRelay([]byte(tt.body))
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, CodeBadRequest, e.Code)
		})
	}
}

// FuzzRelayRequest: whatever the body, the relay co-signs only a message whose fee
// payer is the relay, that names the relay nowhere else, that the session signer signed
// and that the guard accepts; it never panics.
func FuzzRelayRequest(f *testing.F) {
	fx := newRelayFixture(f)
	good, sig := fx.message(f, fx.relay.PublicKey(), fx.move())
	body := func(msg []byte, sig []byte) []byte {
		b, _ := json.Marshal(RelayRequest{Session: "s", Message: base64.StdEncoding.EncodeToString(msg), Signature: base64.StdEncoding.EncodeToString(sig)})
		return b
	}
	f.Add(body(good, sig[:]))
	other, osig := fx.message(f, solana.NewWallet().PublicKey(), fx.move())
	f.Add(body(other, osig[:]))
	tr, tsig := fx.message(f, fx.relay.PublicKey(), system.NewTransferInstruction(1, fx.relay.PublicKey(), fx.signer.PublicKey()).Build())
	f.Add(body(tr, tsig[:]))
	f.Add([]byte(`{"session":"s","message":"AQAB","signature":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, msg, sig, err := decodeRelay(b)
		if err != nil {
			return
		}
		// The fuzzer rarely finds a valid signature: sign what it made, so the checks
		// after the signature's are reached too.
		if !ed25519.Verify(fx.signer.PublicKey().Bytes(), msg, sig[:]) && len(b)%2 == 0 {
			sig = fx.signer.Sign(msg)
		}
		wire, err := cosign(context.Background(), fx.relay, fx.admit, msg, sig)
		if err != nil {
			require.Nil(t, wire)
			return
		}
		keys, _, kerr := signers(msg)
		require.NoError(t, kerr)
		require.Equal(t, fx.relay.PublicKey(), keys[0], "co-signed a message another fee payer pays")
		require.NoError(t, fx.admit.p.Check(msg), "co-signed a message the guard refuses")
		require.True(t, ed25519.Verify(fx.signer.PublicKey().Bytes(), msg, sig[:]))
		require.True(t, ed25519.Verify(fx.relay.PublicKey().Bytes(), msg, wire[1:65]))
	})
}

// BenchmarkRelay is the relay's own work per move, without a cluster: decoding the
// request, the fee-payer and signer checks, the signature, the guard, the co-signature.
func BenchmarkRelay(b *testing.B) {
	fx := newRelayFixture(b)
	msg, sig := fx.message(b, fx.relay.PublicKey(), fx.move())
	body, err := json.Marshal(RelayRequest{Session: "s", Message: base64.StdEncoding.EncodeToString(msg), Signature: base64.StdEncoding.EncodeToString(sig[:])})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, m, s, err := decodeRelay(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cosign(ctx, fx.relay, fx.admit, m, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "moves/s")
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, 3) // 2 per second, bursts of 3
	now := time.Unix(1000, 0)
	var got []bool
	for range 4 {
		got = append(got, l.allow("a", now))
	}
	require.Equal(t, []bool{true, true, true, false}, got)
	require.True(t, l.allow("b", now), "another key has its own bucket")
	require.False(t, l.allow("a", now.Add(400*time.Millisecond)), "0.8 of a token back")
	require.True(t, l.allow("a", now.Add(600*time.Millisecond)), "1.2 tokens back")
	l.allow("c", now.Add(2*time.Minute)) // sweeps the full buckets
	require.Len(t, l.buckets, 1)
}

// FuzzGameMove: the example game's move decoder refuses with a typed error or builds
// one instruction of the game that the session signer signs.
func FuzzGameMove(f *testing.F) {
	for _, s := range []string{`{"direction":"up"}`, `{"buy":3}`, `{"direction":"sideways"}`, `{"x":1}`, `[]`, `{"direction":"up"}{}`} {
		f.Add([]byte(s))
	}
	g := ExampleGame(examplegame.Game{ID: examplegame.ProgramID})
	authority, signer, token := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()
	f.Fuzz(func(t *testing.T, move []byte) {
		ixs, err := g.Move(authority, signer, token, move)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "untyped error %v", err)
			return
		}
		require.Len(t, ixs, 1)
		require.Equal(t, examplegame.ProgramID, ixs[0].ProgramID())
		require.True(t, slices.ContainsFunc(ixs[0].Accounts(), func(m *solana.AccountMeta) bool { return m.PublicKey == signer && m.IsSigner }))
	})
}
