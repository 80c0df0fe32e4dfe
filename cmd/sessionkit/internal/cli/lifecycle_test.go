package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

const (
	rentV1    = 1_670_400
	rentV2    = 1_893_120
	sigFee    = 5_000
	topUp     = 10_000_000 // the default --top-up 0.01
	authFunds = solana.LAMPORTS_PER_SOL
)

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(r.out), &v), "%s", r)
	return v
}

// TestCreateRevoke creates and revokes a session of every kind through the CLI and
// checks every lamport: the payer loses exactly the two transactions' fees, the rent
// and the unspent top-up go back where the program sends them.
func TestCreateRevoke(t *testing.T) {
	for _, tc := range []struct {
		name        string
		v2, sponsor bool
		instruction string
		rent        uint64
		createSigs  uint64 // signatures on the create: signer, authority (and sponsor)
		revokeSigs  uint64 // signer, plus the authority for an active V2 token
	}{
		{name: "v1", instruction: "create_session", rent: rentV1, createSigs: 2, revokeSigs: 1},
		{name: "v1-with-payer", sponsor: true, instruction: "create_session_with_payer", rent: rentV1, createSigs: 3, revokeSigs: 1},
		{name: "v2", v2: true, instruction: "create_session_v2", rent: rentV2, createSigs: 2, revokeSigs: 2},
		{name: "v2-sponsored", v2: true, sponsor: true, instruction: "create_session_v2", rent: rentV2, createSigs: 3, revokeSigs: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, localnettest.ForTest(t))
			localnettest.RequireSessionInstruction(t, h.net, kindNamed(t, tc.instruction))
			localnettest.RequireLamportsArgument(t, h.net)
			auth := h.fundedAuthority(authFunds).PublicKey()
			payer := auth
			args := []string{"create", "--target", gameID.String(), "--output", "json"}
			if tc.v2 {
				args = append(args, "--v2")
			}
			if tc.sponsor {
				sponsor, err := h.net.NewFundedKey(context.Background(), authFunds)
				require.NoError(t, err)
				payer = sponsor.PublicKey()
				path := filepath.Join(h.home, "sponsor.json")
				writeKeypair(t, path, sponsor)
				args = append(args, "--payer", path)
			}
			store := h.storeFlags()
			now, err := h.net.ClusterTime(context.Background())
			require.NoError(t, err)

			c := decode[created](t, h.onNet(append(args, store...)...).ok(t))
			require.Equal(t, tc.instruction, c.Instruction)
			require.Equal(t, auth.String(), c.Authority)
			require.Equal(t, gameID.String(), c.TargetProgram)
			require.Equal(t, payer.String(), c.FeePayer)
			require.Equal(t, now.Unix()+3600, c.ValidUntil)
			require.Equal(t, uint64(topUp), c.TopUp)
			require.Equal(t, store[1], c.Store)
			token, signer := solana.MustPublicKeyFromBase58(c.Token), solana.MustPublicKeyFromBase58(c.SessionSigner)
			createFee := tc.createSigs * sigFee
			require.Equal(t, tc.rent, h.balance(token))
			require.Equal(t, uint64(topUp), h.balance(signer))
			require.Equal(t, authFunds-tc.rent-topUp-createFee, h.balance(payer))

			keys := decode[map[string][]keyRecord](t, h.onNet(append([]string{"keys", "list", "--output", "json"}, store...)...).ok(t))
			require.Len(t, keys["sessions"], 1)
			require.Equal(t, c.Token, keys["sessions"][0].Token)
			require.Equal(t, c.SessionSigner, keys["sessions"][0].SessionSigner)

			r := decode[revoked](t, h.onNet(append([]string{"revoke", c.Token, "--output", "json"}, store...)...).ok(t))
			revokeFee := tc.revokeSigs * sigFee
			rentTo := auth
			if tc.v2 {
				rentTo = payer // V2 returns everything to the recorded fee payer
			}
			require.Equal(t, revoked{Token: c.Token, Version: c.Version, Signature: r.Signature, Rent: tc.rent,
				RentTo: rentTo.String(), Swept: topUp - revokeFee, SweptTo: rentTo.String(), Fee: revokeFee,
				FeePayer: signer.String(), KeyStatus: "deleted from " + store[1]}, r)
			require.Zero(t, h.balance(token))
			require.Zero(t, h.balance(signer))
			wantPayer := authFunds - tc.rent - topUp - createFee
			if rentTo == payer {
				wantPayer += tc.rent + topUp - revokeFee
			}
			require.Equal(t, wantPayer, h.balance(payer))
			if payer != auth {
				want := uint64(authFunds)
				if rentTo == auth {
					want += tc.rent + topUp - revokeFee
				}
				require.Equal(t, want, h.balance(auth))
			}

			require.Equal(t, "No stored sessions.\n", h.onNet(append([]string{"keys", "list"}, store...)...).ok(t).out)
			require.Equal(t, ExitNegative, h.onNet("inspect", c.Token).code)
			again := h.onNet(append([]string{"revoke", c.Token}, store...)...)
			require.Equal(t, ExitNegative, again.code)
			require.Equal(t, "Error: no session token at "+c.Token+"\nHint: a revoked token's account is gone; check the address and the cluster (-u)\n", again.err)
		})
	}
}

// TestCreateRevokeText pins the human output of create and revoke.
func TestCreateRevokeText(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	localnettest.RequireLamportsArgument(t, h.net)
	auth := h.fundedAuthority(authFunds).PublicKey().String()
	store := h.storeFlags()
	c := h.onNet(append([]string{"create", "--target", gameID.String(), "--valid-for", "90m", "--top-up", "0.002"}, store...)...).ok(t)
	token := strings.Fields(strings.Split(c.out, "Token:")[1])[0]
	r := h.onNet(append([]string{"revoke", token}, store...)...).ok(t)
	norm := func(s string) string {
		return strings.ReplaceAll(normalize(strings.ReplaceAll(s, h.home, "$HOME"), auth), auth, "<AUTHORITY>")
	}
	golden.Check(t, "create-revoke.txt", norm(c.String()+"\n"+r.String()))
}

// TestRevokeWithoutKey revokes a token whose session key is not at hand: the -k keypair
// pays, nothing can be swept.
func TestRevokeWithoutKey(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds).PublicKey()
	c := decode[created](t, h.onNet("create", "--target", gameID.String(), "--top-up", "0", "--output", "json").ok(t))
	require.Empty(t, c.Store)
	r := decode[revoked](t, h.onNet("revoke", c.Token, "--output", "json").ok(t))
	require.Equal(t, revoked{Token: c.Token, Version: 1, Signature: r.Signature, Rent: rentV1, RentTo: auth.String(),
		Fee: sigFee, FeePayer: auth.String(), KeyStatus: "not at hand (no --store)"}, r)
	require.Equal(t, authFunds-2*sigFee-sigFee, h.balance(auth))
}

// TestRevokeUnfundedSigner: a session signer without lamports cannot pay the revoke's
// fee, so the -k keypair does.
func TestRevokeUnfundedSigner(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds).PublicKey()
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--top-up", "0", "--output", "json"}, store...)...).ok(t))
	r := decode[revoked](t, h.onNet(append([]string{"revoke", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Equal(t, revoked{Token: c.Token, Version: 1, Signature: r.Signature, Rent: rentV1, RentTo: auth.String(),
		Fee: sigFee, FeePayer: auth.String(), KeyStatus: "deleted from " + store[1]}, r)
	require.Equal(t, authFunds-2*sigFee-sigFee, h.balance(auth))
}

// TestRevokeExpired revokes an expired token with its stored key, which Manager.Resume
// would refuse: Manager.RevokeToken still sweeps, the session signer paying the fee as
// for an active token.
func TestRevokeExpired(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	localnettest.RequireSessionInstruction(t, h.net, client.CreateSessionV2)
	auth := h.fundedAuthority(authFunds).PublicKey()
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--v2", "--valid-for", "1m", "--output", "json"}, store...)...).ok(t))
	h.warpBy(2 * time.Minute)
	r := decode[revoked](t, h.onNet(append([]string{"revoke", c.Token, "--output", "json"}, store...)...).ok(t))
	// Expired V2: no authority signature needed; the session signer alone signs.
	require.Equal(t, revoked{Token: c.Token, Version: 2, Signature: r.Signature, Rent: rentV2, RentTo: auth.String(),
		Swept: topUp - sigFee, SweptTo: auth.String(), Fee: sigFee, FeePayer: c.SessionSigner, KeyStatus: "deleted from " + store[1]}, r)
	require.Zero(t, h.balance(solana.MustPublicKeyFromBase58(c.SessionSigner)))
	require.Equal(t, authFunds-2*sigFee-sigFee, h.balance(auth))
}

// TestRevokeActiveV2NeedsAuthority: only the authority may revoke an active V2 token.
func TestRevokeActiveV2NeedsAuthority(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	localnettest.RequireSessionInstruction(t, h.net, client.CreateSessionV2)
	h.fundedAuthority(authFunds)
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--v2", "--output", "json"}, store...)...).ok(t))
	other, err := h.net.NewFundedKey(context.Background(), authFunds)
	require.NoError(t, err)
	path := filepath.Join(h.home, "other.json")
	writeKeypair(t, path, other)
	for _, withStore := range []bool{true, false} {
		args := []string{"-k", path, "revoke", c.Token}
		if withStore {
			args = append(args, store...)
		}
		r := h.onNet(args...)
		require.Equal(t, ExitError, r.code, "%s", r)
		require.Equal(t, "Error: "+c.Token+" is an active V2 token: only its authority "+c.Authority+" may revoke it\n"+
			"Hint: pass the authority's keypair with -k\n", r.err)
	}
	require.Equal(t, uint64(rentV2), h.balance(solana.MustPublicKeyFromBase58(c.Token)))
}

// kindNamed is the session-program instruction of the IDL name.
func kindNamed(t *testing.T, name string) client.InstructionKind {
	t.Helper()
	for k := client.CreateSession; k <= client.RevokeSessionV2; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("no session-program instruction %q", name)
	return 0
}

// Against an older deployment the CLI says what the chain did, not what it asked for:
// the top-up the signer received (a pre-2025 build ignores the amount) with a warning,
// and the instruction a build lacks by name. The Gum-era deployment's one-day limit is
// refused before anything is sent.
func TestCreateOnAnOlderDeployment(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	store := h.storeFlags()
	args := func(extra ...string) []string {
		return append(append([]string{"--program-id", legacyID.String(), "create", "--target", gameID.String()}, extra...), store...)
	}
	r := h.onNet(args("--top-up", "0.005", "--output", "json")...).ok(t)
	c := decode[created](t, r)
	require.Equal(t, uint64(5_000_000), c.TopUpRequested)
	require.Equal(t, client.DefaultTopUpLamports, c.TopUp, "what the signer received")
	require.Contains(t, r.err, "Warning: asked for a top-up of 0.005 SOL (5000000 lamports), the session signer received 0.01 SOL (10000000 lamports)")

	v2 := h.onNet(args("--v2")...)
	require.Equal(t, ExitError, v2.code, "%s", v2)
	require.Contains(t, v2.err, "has no create_session_v2 instruction")

	gum := h.onNet("--program-id", "gum", "create", "--target", gameID.String(), "--valid-for", "2d", "--top-up", "0")
	require.Equal(t, ExitUsage, gum.code, "%s", gum)
	require.Contains(t, gum.err, "longer than the maximum of the deployment at 3ao63wcSRNa76bncC2M3KupNtXBFiDyNbgK52VG7dLaE (24h0m0s)")
}
