package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

func TestCreateParamsChecked(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_700_000_000)
	m := offlineManager(fc, time.Hour)
	authority := solana.NewWallet().PublicKey()
	payer := solana.NewWallet().PrivateKey
	target := solana.NewWallet().PublicKey()
	tests := []struct {
		name string
		p    CreateParams
		want error
		text string
	}{
		{name: "no kind", p: CreateParams{TargetProgram: target, Unfunded: true}, want: ErrBadParams, text: "Kind"},
		{name: "no target", p: CreateParams{Kind: KindV1, Unfunded: true}, want: ErrBadParams, text: "Target"},
		{name: "v1 with payer", p: CreateParams{Kind: KindV1, TargetProgram: target, Payer: keyFrom(t, payer), Unfunded: true}, want: ErrBadParams, text: "KindV1WithPayer"},
		{name: "with_payer without payer", p: CreateParams{Kind: KindV1WithPayer, TargetProgram: target, Unfunded: true}, want: ErrBadParams, text: "needs a Payer"},
		{name: "eight days", p: CreateParams{Kind: KindV2, TargetProgram: target, ValidFor: 8 * 24 * time.Hour, Unfunded: true}, want: client.ErrValidityTooLong, text: "691200 s after cluster time 1700000000"},
		{name: "past", p: CreateParams{Kind: KindV2, TargetProgram: target, ValidUntil: time.Unix(1_700_000_000, 0), Unfunded: true}, want: client.ErrValidUntilNotAfterNow, text: "cluster time 1700000000"},
		{name: "negative", p: CreateParams{Kind: KindV2, TargetProgram: target, ValidFor: -time.Second, Unfunded: true}, want: ErrBadParams, text: "negative"},
		{name: "no top-up", p: CreateParams{Kind: KindV1, TargetProgram: target}, want: ErrBadParams, text: "could not pay for a single move"},
		{name: "top-up and unfunded", p: CreateParams{Kind: KindV1, TargetProgram: target, TopUp: 1, Unfunded: true}, want: ErrBadParams, text: "TopUp with Unfunded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.planCreate(t.Context(), authority, tc.p)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.text)
		})
	}

	plan, err := m.planCreate(t.Context(), authority, CreateParams{Kind: KindV2, TargetProgram: target, Payer: keyFrom(t, payer), Unfunded: true})
	require.NoError(t, err)
	require.Equal(t, int64(1_700_000_000+3600), plan.session.ValidUntil())
	require.Equal(t, payer.PublicKey(), plan.session.FeePayer())
	plan, err = m.planCreate(t.Context(), authority, CreateParams{Kind: KindV1, TargetProgram: target, ValidUntil: time.Unix(1_700_000_000+maxValiditySeconds, 0), Unfunded: true})
	require.NoError(t, err)
	require.Equal(t, authority, plan.session.FeePayer())
}

const maxValiditySeconds = int64(client.MaxValidity / time.Second)

func TestDuplicateAndTooLong(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	seed := Seed{1, 2, 3}
	first, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, Seed: &seed, Unfunded: true})
	require.NoError(t, err)
	spent := e.balance(authority.PublicKey())

	_, err = e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, Seed: &seed, Unfunded: true})
	require.ErrorIs(t, err, txn.ErrAccountInUse)
	require.ErrorContains(t, err, first.Token().String())

	// sendCreate sends a create instruction built past the Manager's checks.
	authKey, err := txn.SessionKeyFromPrivateKey(authority)
	require.NoError(t, err)
	pub := authority.PublicKey()
	sendCreate := func(s *Session, validUntil, clusterTime int64) error {
		ix, err := client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: s.SessionSigner(), Authority: pub, TargetProgram: gameID,
		}, client.CreateArgs{ValidUntil: new(int64(validUntil)), ClusterTime: clusterTime})
		require.NoError(t, err)
		_, _, err = e.m.send(e.ctx, s, func(bh solana.Hash) ([]byte, error) {
			return s.build(bh, []solana.Instruction{ix}, &wrapConfig{payer: &pub, keys: []*txn.SessionKey{authKey}})
		})
		return err
	}

	// The same duplicate past the client's check: the program's "already in use" comes
	// back as txn.ErrAccountInUse, and nothing is charged (preflight).
	now, err := e.m.ClusterTime(e.ctx)
	require.NoError(t, err)
	err = sendCreate(first, first.ValidUntil()+1, now) // not the very same transaction, which would be a replay
	require.ErrorIs(t, err, txn.ErrAccountInUse)
	require.Equal(t, spent, e.balance(authority.PublicKey()))

	// Too long: refused before sending, and by the program when sent anyway.
	_, err = e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, ValidFor: client.MaxValidity + time.Hour, Unfunded: true})
	require.ErrorIs(t, err, client.ErrValidityTooLong)
	fresh := testSession(t, e.m, 0)
	err = sendCreate(fresh, now+maxValiditySeconds+3600, now+3600)
	require.ErrorIs(t, err, client.ErrValidityTooLong)
	var te *sender.FailedError
	require.ErrorAs(t, err, &te)
	require.True(t, te.Preflight)
	require.Equal(t, spent, e.balance(authority.PublicKey()))
}

// TestUnfundedSigner: a session created without a top-up has a signer with no account;
// its move fails naming the signer, and Create left the create's signature behind.
func TestUnfundedSigner(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true})
	require.NoError(t, err)
	require.False(t, s.CreateSignature().IsZero())
	st, err := e.m.RPC().GetSignatureStatuses(e.ctx, false, s.CreateSignature())
	require.NoError(t, err)
	require.NotNil(t, st.Value[0])

	_, err = s.Send(e.ctx, []solana.Instruction{e.game.Move(e.player(e.game, authority), s.SessionSigner(), s.Token(), examplegame.Up)})
	var ue *UnfundedSignerError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, s.SessionSigner(), ue.Signer)
	require.ErrorIs(t, err, txn.ErrInsufficientFunds)
	require.ErrorContains(t, err, "session: session signer "+s.SessionSigner().String()+" has no lamports to pay fees")
}
