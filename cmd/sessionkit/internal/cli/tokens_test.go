package cli

import (
	"context"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// tokenMint makes a Token mint (6 decimals) and gives owner supply tokens of it.
func tokenMint(t *testing.T, h *harness, owner solana.PublicKey, supply uint64) (mint, ata solana.PublicKey) {
	t.Helper()
	ctx := context.Background()
	issuer, err := h.net.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	require.NoError(t, err)
	mintKey := solana.NewWallet().PrivateKey
	rent, err := h.net.RPC().GetMinimumBalanceForRentExemption(ctx, spl.MintLen, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	init, err := spl.InitializeMint2(spl.TokenProgramID, mintKey.PublicKey(), issuer.PublicKey(), 6)
	require.NoError(t, err)
	create, err := spl.CreateIdempotent(issuer.PublicKey(), owner, mintKey.PublicKey(), spl.TokenProgramID)
	require.NoError(t, err)
	ata, err = spl.AssociatedTokenAddress(owner, mintKey.PublicKey(), spl.TokenProgramID)
	require.NoError(t, err)
	mintTo, err := spl.MintTo(spl.TokenProgramID, mintKey.PublicKey(), ata, issuer.PublicKey(), supply)
	require.NoError(t, err)
	_, err = h.net.Send(ctx, issuer, []solana.Instruction{
		system.NewCreateAccountInstruction(rent, spl.MintLen, spl.TokenProgramID, issuer.PublicKey(), mintKey.PublicKey()).Build(),
		init, create, mintTo,
	}, mintKey)
	require.NoError(t, err)
	return mintKey.PublicKey(), ata
}

func tokenAmount(t *testing.T, h *harness, ata solana.PublicKey) uint64 {
	t.Helper()
	res, err := h.net.RPC().GetAccountInfoWithOpts(context.Background(), ata, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	require.NoError(t, err)
	a, err := spl.DecodeTokenAccount(res.Value.Data.GetBinary())
	require.NoError(t, err)
	return a.Amount
}

// create --token grants a token top-up in the create transaction; inspect shows what
// is left of both caps; revoke returns the tokens and closes the session's account.
func TestTokenTopUpCLI(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds).PublicKey()
	mint, walletATA := tokenMint(t, h, auth, 1_000_000)
	store := h.storeFlags()

	r := h.onNet("create", "--target", gameID.String(), "--token", mint.String()+":250000", "--token", mint.String()+":x")
	require.Equal(t, 2, r.code, "%s", r)
	r = h.onNet("create", "--target", gameID.String(), "--token", mint.String()+":250000")
	require.Equal(t, 2, r.code, "a top-up without --store is refused: %s", r)

	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--token", mint.String() + ":250000", "--output", "json"}, store...)...).ok(t))
	require.Len(t, c.Tokens, 1)
	require.Equal(t, createdToken{Mint: mint.String(), Program: spl.TokenProgramID.String(), Mode: "top-up", Account: c.Tokens[0].Account,
		Granted: 250_000, Arrived: 250_000}, c.Tokens[0])
	require.Equal(t, uint64(750_000), tokenAmount(t, h, walletATA))

	v := decode[tokenview.View](t, h.onNet("inspect", c.Token, "--output", "json").ok(t))
	require.Equal(t, &tokenview.Caps{SOLLamports: topUp, Tokens: []tokenview.TokenCap{{Mint: mint.String(), Program: spl.TokenProgramID.String(),
		Account: c.Tokens[0].Account, Mode: "top-up", Amount: 250_000}}}, v.Caps)
	require.Contains(t, h.onNet("list", "--authority", auth.String()).ok(t).out, "0.01 SOL + 1 token account(s)")

	rv := decode[revoked](t, h.onNet(append([]string{"revoke", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Len(t, rv.Tokens, 1)
	require.Equal(t, uint64(250_000), rv.Tokens[0].Amount)
	require.Equal(t, walletATA.String(), rv.Tokens[0].To)
	require.Equal(t, auth.String(), rv.Tokens[0].RentTo)
	require.Equal(t, uint64(1_000_000), tokenAmount(t, h, walletATA))
	require.Contains(t, rv.KeyStatus, "deleted")
}

// A delegate allowance granted by create --token M:A:delegate is kept in the store with
// the key, so revoke --store ends it with the session key.
func TestTokenTopUpCLIDelegateRevoked(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds).PublicKey()
	mint, walletATA := tokenMint(t, h, auth, 1_000_000)
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--token", mint.String() + ":300000:delegate", "--output", "json"}, store...)...).ok(t))
	delegate := func() (solana.PublicKey, uint64) {
		res, err := h.net.RPC().GetAccountInfoWithOpts(context.Background(), walletATA, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
		require.NoError(t, err)
		a, err := spl.DecodeTokenAccount(res.Value.Data.GetBinary())
		require.NoError(t, err)
		return a.Delegate, a.DelegatedAmount
	}
	d, n := delegate()
	require.Equal(t, c.SessionSigner, d.String())
	require.Equal(t, uint64(300_000), n)
	// The chain lists no allowance by signer: inspect shows it from the store's caps.
	v := decode[tokenview.View](t, h.onNet("inspect", c.Token, "--output", "json").ok(t))
	require.Empty(t, v.Caps.Tokens)
	v = decode[tokenview.View](t, h.onNet(append([]string{"inspect", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Equal(t, []tokenview.TokenCap{{Mint: mint.String(), Program: spl.TokenProgramID.String(), Account: walletATA.String(),
		Mode: "delegate", Amount: 300_000}}, v.Caps.Tokens)
	require.Contains(t, h.onNet(append([]string{"list", "--authority", auth.String()}, store...)...).ok(t).out, "0.01 SOL + 1 token account(s)")

	rv := decode[revoked](t, h.onNet(append([]string{"revoke", c.Token, "--output", "json"}, store...)...).ok(t))
	require.Equal(t, []revokedAllowance{{Mint: mint.String(), Account: walletATA.String(), Remaining: 300_000}}, rv.Allowances)
	d, n = delegate()
	require.True(t, d.IsZero(), "the allowance ended with the stored key")
	require.Zero(t, n)
	require.Equal(t, uint64(1_000_000), tokenAmount(t, h, walletATA))
	require.Contains(t, rv.KeyStatus, "deleted")
}

// revoke --all signs the -k authority out everywhere.
func TestRevokeAllCLI(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds).PublicKey()
	store := h.storeFlags()
	var tokens []string
	for _, extra := range [][]string{nil, {"--v2"}, {"--top-up", "0"}} {
		args := append([]string{"create", "--target", gameID.String(), "--output", "json"}, extra...)
		tokens = append(tokens, decode[created](t, h.onNet(append(args, store...)...).ok(t)).Token)
	}
	out := decode[signedOut](t, h.onNet(append([]string{"revoke", "--all", "--output", "json"}, store...)...).ok(t))
	require.Equal(t, auth.String(), out.Authority)
	require.Empty(t, out.Failed)
	require.Empty(t, out.Wallet, "-k is the authority: the active V2 token is revoked at once")
	got := map[string]bool{}
	for _, r := range out.Revoked {
		got[r.Token] = r.KeyDeleted
	}
	require.Equal(t, map[string]bool{tokens[0]: true, tokens[1]: true, tokens[2]: true}, got)
	require.Contains(t, h.onNet("list", "--authority", auth.String()).ok(t).out, "No session tokens.")
	require.Equal(t, 2, h.onNet("revoke", "--authority", auth.String()).code, "--authority goes with --all")
}
