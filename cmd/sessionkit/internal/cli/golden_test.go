package cli

import (
	"context"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
)

// t0 is the cluster time of the golden outputs: 2030-03-17T17:46:40Z.
const t0 = 1_900_000_000

// Accounts present from the start of the golden cluster, for the "not a session token"
// cases: owned by the session program, one too short for the V1 data its discriminator
// announces, one with data of the right size but no token discriminator.
var (
	shortAccount   = fixedKey(20).PublicKey()
	foreignAccount = fixedKey(21).PublicKey()
	missingAccount = fixedKey(22).PublicKey()
	// lookalike holds V1 token data of another authority at an address that is not its PDA.
	lookalike     = fixedKey(25).PublicKey()
	lookalikeData = client.SessionToken{Authority: fixedKey(23).PublicKey(), TargetProgram: gameID,
		SessionSigner: fixedKey(24).PublicKey(), ValidUntil: t0 + 3600}
)

func goldenConfig() []localnet.Option {
	disc, _ := client.TokenDiscriminator(pda.V1)
	fake, err := lookalikeData.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return append(clusterConfig(), localnet.WithAccounts(
		localnet.Account{Address: shortAccount, Lamports: 1_000_000, Owner: pda.MagicBlockProgramID, Data: append(disc[:], make([]byte, 40)...)},
		localnet.Account{Address: foreignAccount, Lamports: 2_000_000, Owner: pda.MagicBlockProgramID, Data: make([]byte, client.SessionTokenLen)},
		localnet.Account{Address: lookalike, Lamports: 3_000_000, Owner: pda.MagicBlockProgramID, Data: fake},
	))
}

// TestGolden runs inspect, list and validate on tokens made from fixed keys at fixed
// cluster times, so that every byte of their text and JSON output is known.
func TestGolden(t *testing.T) {
	n := localnettest.StartForTest(t, goldenConfig()...)
	// The goldens pin our build's answers, V2 tokens and exact top-ups included.
	localnettest.RequireSessionInstruction(t, n, client.CreateSessionV2)
	localnettest.RequireLamportsArgument(t, n)
	ctx := context.Background()
	h := newHarness(t, n)
	warp(t, n, time.Unix(t0, 0))
	authority := fixedKey(1)
	require.NoError(t, n.Fund(ctx, authority.PublicKey(), 10*solana.LAMPORTS_PER_SOL))
	m := h.manager()
	create := func(kind session.Kind, seed byte, target solana.PublicKey, validFor int64) *session.Session {
		s, err := m.Create(ctx, authority, session.CreateParams{Kind: kind, TargetProgram: target, Seed: fixedSeed(seed),
			ValidUntil: time.Unix(t0+validFor, 0), Unfunded: true})
		require.NoError(t, err)
		return s
	}
	s1 := create(session.KindV1, 2, gameID, 3600)
	s2 := create(session.KindV2, 3, gameID, 600)
	s3 := create(session.KindV1, 4, pda.MagicBlockProgramID, 7200)
	A, game := authority.PublicKey().String(), gameID.String()

	type tc struct {
		name string
		args []string
	}
	check := func(t *testing.T, cases []tc) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := h.onNet
				if c.args[0] == "-u" {
					r = h.run // a case that names its own cluster: a repeated -u would add one
				}
				golden.Check(t, "golden/"+c.name+".txt", r(c.args...).String())
			})
		}
	}
	check(t, []tc{
		{"inspect-v1", []string{"inspect", s1.Token().String()}},
		{"inspect-v1-json", []string{"inspect", s1.Token().String(), "--output", "json"}},
		{"inspect-v2-derived", []string{"inspect", "--authority", A, "--signer", s2.SessionSigner().String(), "--target", game, "--v2"}},
		{"inspect-derived-compact", []string{"inspect", "--authority", A, "--signer", s1.SessionSigner().String(), "--target", game, "--output", "json-compact"}},
		{"inspect-derived-incomplete", []string{"inspect", "--authority", A}},
		{"inspect-not-found", []string{"inspect", missingAccount.String()}},
		{"inspect-not-found-json", []string{"inspect", missingAccount.String(), "--output", "json"}},
		{"inspect-system-account", []string{"inspect", A}},
		{"inspect-short-account", []string{"inspect", shortAccount.String()}},
		{"inspect-foreign-data", []string{"inspect", foreignAccount.String(), "--output", "json"}},
		{"inspect-malformed", []string{"inspect", "0OIl"}},
		{"inspect-wrong-length", []string{"inspect", "3yZe7d"}},
		{"inspect-gum-program", []string{"--program-id", "gum", "inspect", s1.Token().String()}},
		{"list", []string{"list", "--authority", A}},
		{"list-json", []string{"list", "--authority", A, "--output", "json"}},
		{"list-target", []string{"list", "--authority", A, "--target", game, "--output", "json-compact"}},
		{"list-empty", []string{"list", "--authority", missingAccount.String()}},
		{"validate-ok", []string{"validate", s1.Token().String(), "--signer", s1.SessionSigner().String(), "--authority", A, "--target", game}},
		{"validate-ok-json", []string{"validate", s2.Token().String(), "--signer", s2.SessionSigner().String(), "--authority", A, "--target", game, "--token-version", "v2", "--output", "json"}},
		{"validate-default-target", []string{"validate", s3.Token().String(), "--signer", s3.SessionSigner().String(), "--authority", A}},
		{"validate-wrong-authority", []string{"validate", s1.Token().String(), "--signer", s1.SessionSigner().String(), "--authority", missingAccount.String(), "--target", game}},
		{"validate-wrong-target", []string{"validate", s3.Token().String(), "--signer", s3.SessionSigner().String(), "--authority", A, "--target", game}},
		{"validate-wrong-version", []string{"validate", s1.Token().String(), "--signer", s1.SessionSigner().String(), "--authority", A, "--token-version", "v2", "--output", "json"}},
		{"validate-not-found", []string{"validate", missingAccount.String(), "--signer", s1.SessionSigner().String(), "--authority", A}},
		{"validate-system-account", []string{"validate", A, "--signer", s1.SessionSigner().String(), "--authority", A, "--target", game}},
		{"validate-defaults", []string{"validate", s1.Token().String()}},
		{"validate-defaults-json", []string{"validate", s2.Token().String(), "--authority", A, "--output", "json"}},
		{"unreachable-inspect", []string{"-u", "http://127.0.0.1:1", "inspect", s1.Token().String()}},
		{"unreachable-list", []string{"-u", "http://127.0.0.1:1/v2/APIKEY", "list", "--authority", A, "--output", "json"}},
	})
	judged := []judgedAccount{
		{s1.Token(), s1.SessionSigner(), authority.PublicKey()},
		{s2.Token(), s2.SessionSigner(), authority.PublicKey()},
		{s3.Token(), s3.SessionSigner(), authority.PublicKey()},
		{lookalike, lookalikeData.SessionSigner, lookalikeData.Authority},
		{shortAccount, s1.SessionSigner(), authority.PublicKey()},
		{foreignAccount, s1.SessionSigner(), authority.PublicKey()},
		{missingAccount, s1.SessionSigner(), authority.PublicKey()},
		{authority.PublicKey(), s1.SessionSigner(), authority.PublicKey()},
	}
	t.Run("agree-with-get", func(t *testing.T) { agreeWithGet(t, h, judged) })

	// An hour and a second later s1 and s2 have expired; s3 has not.
	warp(t, n, time.Unix(t0+3601, 0))
	check(t, []tc{
		{"inspect-v1-expired", []string{"inspect", s1.Token().String()}},
		{"list-expired", []string{"list", "--authority", A}},
		{"validate-expired", []string{"validate", s1.Token().String(), "--signer", s1.SessionSigner().String(), "--authority", A, "--target", game}},
		{"validate-expired-json", []string{"validate", s2.Token().String(), "--signer", s2.SessionSigner().String(), "--authority", A, "--output", "json-compact"}},
	})
	t.Run("agree-with-get-expired", func(t *testing.T) { agreeWithGet(t, h, judged) })
}
