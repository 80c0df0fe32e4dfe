package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// mintSpec is a test mint: its program, decimals and Token-2022 transfer fee.
type mintSpec struct {
	program  solana.PublicKey
	decimals uint8
	feeBps   uint16
	maxFee   uint64
}

var (
	plainToken = mintSpec{program: spl.TokenProgramID, decimals: 6}
	plain2022  = mintSpec{program: spl.Token2022ProgramID, decimals: 9}
	// feeMint takes 1.5% of each transfer, at most 2 tokens (6 decimals).
	feeMint = mintSpec{program: spl.Token2022ProgramID, decimals: 6, feeBps: 150, maxFee: 2_000_000}
)

// mintSize is the mint account's length: the base, or padded to an account with the
// TransferFeeConfig extension (type and length, 108 bytes).
func (m mintSpec) size() uint64 {
	if m.feeBps > 0 {
		return 165 + 1 + 4 + 108
	}
	return 82
}

// newMint creates a mint of spec with issuer as mint authority, paid by issuer.
func (e *env) newMint(issuer solana.PrivateKey, spec mintSpec) solana.PublicKey {
	e.t.Helper()
	mint := solana.NewWallet().PrivateKey
	ixs := []solana.Instruction{system.NewCreateAccountInstruction(e.rent(spec.size()), spec.size(), spec.program, issuer.PublicKey(), mint.PublicKey()).Build()}
	if spec.feeBps > 0 {
		ixs = append(ixs, spl.InitializeTransferFeeConfig(mint.PublicKey(), issuer.PublicKey(), spec.feeBps, spec.maxFee))
	}
	init, err := spl.InitializeMint2(spec.program, mint.PublicKey(), issuer.PublicKey(), spec.decimals)
	require.NoError(e.t, err)
	_, err = e.net.Send(e.ctx, issuer, append(ixs, init), mint)
	require.NoError(e.t, err)
	return mint.PublicKey()
}

// mintTo mints amount of mint to owner's associated token account, issuer creating it.
func (e *env) mintTo(issuer solana.PrivateKey, mint solana.PublicKey, program solana.PublicKey, owner solana.PublicKey, amount uint64) solana.PublicKey {
	e.t.Helper()
	ata, err := spl.AssociatedTokenAddress(owner, mint, program)
	require.NoError(e.t, err)
	create, err := spl.CreateIdempotent(issuer.PublicKey(), owner, mint, program)
	require.NoError(e.t, err)
	ixs := []solana.Instruction{create}
	if amount > 0 {
		mintTo, err := spl.MintTo(program, mint, ata, issuer.PublicKey(), amount)
		require.NoError(e.t, err)
		ixs = append(ixs, mintTo)
	}
	_, err = e.net.Send(e.ctx, issuer, ixs)
	require.NoError(e.t, err)
	return ata
}

// tokenAccount is the token account at addr, nil when there is none.
func (e *env) tokenAccount(addr solana.PublicKey) *spl.TokenAccount {
	e.t.Helper()
	res, err := e.rpc.GetAccountInfoWithOpts(e.ctx, addr, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
	if err == rpc.ErrNotFound {
		return nil
	}
	require.NoError(e.t, err)
	a, err := spl.DecodeTokenAccount(res.Value.Data.GetBinary())
	require.NoError(e.t, err)
	return a
}

func (e *env) tokens(addr solana.PublicKey) uint64 {
	if a := e.tokenAccount(addr); a != nil {
		return a.Amount
	}
	return 0
}

// fee of spec's mint for a transfer of amount: 1.5% rounded up, capped (epoch-independent
// here, both fees being the same).
func (m mintSpec) fee(amount uint64) uint64 {
	if m.feeBps == 0 {
		return 0
	}
	f := (amount*uint64(m.feeBps) + 9_999) / 10_000
	return min(f, m.maxFee)
}

// A token top-up round trip loses nothing: the create moves SOL and tokens in the
// wallet's one transaction, the session spends some, the revoke signed by the session
// key alone returns every lamport and token left, and each party's balances are exact.
func TestTokenTopUpRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   mintSpec
		wallet bool // create through PrepareCreate and the wallet's signature
	}{
		{name: "token", spec: plainToken},
		{name: "token-2022", spec: plain2022, wallet: true},
		{name: "token-2022 transfer fee", spec: feeMint},
		{name: "token-2022 transfer fee wallet", spec: feeMint, wallet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			issuer := e.funded(1_000_000_000)
			authority := e.funded(1_000_000_000)
			shop := solana.NewWallet().PublicKey()
			mint := e.newMint(issuer, tc.spec)
			const supply, grant, spend = 1_000_000_000, 50_000_000, 7_000_000
			walletATA := e.mintTo(issuer, mint, tc.spec.program, authority.PublicKey(), supply)
			shopATA := e.mintTo(issuer, mint, tc.spec.program, shop, 0)
			solStart := e.balance(authority.PublicKey())

			p := CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour,
				Tokens: []TokenGrant{{Mint: mint, Amount: grant}}}
			var s *Session
			if tc.wallet {
				pending, err := e.m.PrepareCreate(e.ctx, authority.PublicKey(), p)
				require.NoError(t, err)
				_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), authority))
				require.NoError(t, err)
				s = pending.Session()
			} else {
				var err error
				s, err = e.m.Create(e.ctx, authority, p)
				require.NoError(t, err)
			}
			sessionATA, err := spl.AssociatedTokenAddress(s.SessionSigner(), mint, tc.spec.program)
			require.NoError(t, err)
			arrived := uint64(grant) - tc.spec.fee(grant)
			ataRent := e.balance(sessionATA)
			require.NotZero(t, ataRent)

			require.Equal(t, []TokenCap{{Mint: mint, Program: tc.spec.program, Mode: TokenTopUp, Decimals: tc.spec.decimals,
				Account: sessionATA, Granted: grant, Arrived: arrived, Remaining: arrived}}, s.TokenGrants())
			require.Equal(t, arrived, e.tokens(sessionATA), "what arrived is what the mint's fee leaves")
			require.Equal(t, uint64(supply-grant), e.tokens(walletATA))
			require.Equal(t, solStart-e.rentV1-3_000_000-ataRent-2*fee, e.balance(authority.PublicKey()))
			caps, err := s.Caps(e.ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(3_000_000), caps.SOL)
			require.Len(t, caps.Tokens, 1)
			require.Equal(t, arrived, caps.Tokens[0].Remaining)
			require.Equal(t, uint64(grant), caps.Tokens[0].Granted)

			// The session spends from its own account, with the token program allowed.
			s.AllowPrograms(tc.spec.program)
			buy, err := spl.TransferChecked(tc.spec.program, sessionATA, mint, shopATA, s.SessionSigner(), spend, tc.spec.decimals)
			require.NoError(t, err)
			_, err = s.Send(e.ctx, []solana.Instruction{buy})
			require.NoError(t, err)
			require.Equal(t, uint64(spend)-tc.spec.fee(spend), e.tokens(shopATA))
			caps, err = s.Caps(e.ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(3_000_000-fee), caps.SOL)
			require.Equal(t, arrived-spend, caps.Tokens[0].Remaining)

			res, err := e.m.Revoke(e.ctx, s, RevokeParams{})
			require.NoError(t, err)
			left := arrived - spend
			require.Empty(t, res.Steps, "one transaction")
			require.Equal(t, []TokenSweep{{Mint: mint, Program: tc.spec.program, Account: sessionATA, Amount: left,
				To: walletATA, Rent: ataRent, RentTo: authority.PublicKey(), Signature: res.Signature}}, res.Tokens)
			require.False(t, e.exists(sessionATA), "the session's token account is closed")
			require.False(t, e.exists(s.SessionSigner()))
			require.False(t, e.exists(s.Token()))
			require.Equal(t, uint64(supply-grant)+left-tc.spec.fee(left), e.tokens(walletATA))
			// Rent of token and token account back, the top-up back less the two fees the
			// session paid: the wallet is out only the fees.
			require.Equal(t, solStart-2*fee-fee-fee, e.balance(authority.PublicKey()))
			caps, err = s.Caps(e.ctx)
			require.NoError(t, err)
			require.Zero(t, caps.SOL)
			require.Empty(t, caps.Tokens)
		})
	}
}

// A delegate allowance: the session spends the wallet's tokens up to the cap, a second
// session on the same account replaces it, and revoke, signed by the session key alone,
// ends what is left of an allowance.
func TestTokenTopUpDelegateAllowance(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	shop := solana.NewWallet().PublicKey()
	mint := e.newMint(issuer, plainToken)
	const supply, allowance, spend = 1_000_000, 300_000, 100_000
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), supply)
	shopATA := e.mintTo(issuer, mint, spl.TokenProgramID, shop, 0)
	start := e.balance(authority.PublicKey())

	grant := []TokenGrant{{Mint: mint, Amount: allowance, Mode: TokenDelegate}}
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour, Tokens: grant})
	require.NoError(t, err)
	require.Equal(t, start-e.rentV1-3_000_000-2*fee, e.balance(authority.PublicKey()), "no token account to pay for")
	a := e.tokenAccount(walletATA)
	require.Equal(t, s.SessionSigner(), a.Delegate)
	require.Equal(t, uint64(allowance), a.DelegatedAmount)
	require.Equal(t, uint64(supply), a.Amount, "the tokens stay with the wallet")

	s.AllowPrograms(spl.TokenProgramID)
	buy, err := spl.TransferChecked(spl.TokenProgramID, walletATA, mint, shopATA, s.SessionSigner(), spend, 6)
	require.NoError(t, err)
	_, err = s.Send(e.ctx, []solana.Instruction{buy})
	require.NoError(t, err)
	caps, err := s.Caps(e.ctx)
	require.NoError(t, err)
	require.Equal(t, []TokenCap{{Mint: mint, Program: spl.TokenProgramID, Mode: TokenDelegate, Decimals: 6, Account: walletATA,
		Granted: allowance, Remaining: allowance - spend}}, caps.Tokens)

	// One delegate per token account: a second session's allowance replaces the first.
	second, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour, Tokens: grant})
	require.NoError(t, err)
	caps, err = s.Caps(e.ctx)
	require.NoError(t, err)
	require.Zero(t, caps.Tokens[0].Remaining, "the first session's allowance is gone")
	_, err = s.Send(e.ctx, []solana.Instruction{buy})
	require.Error(t, err, "the chain refuses the replaced delegate")

	res, err := e.m.Revoke(e.ctx, s, RevokeParams{})
	require.NoError(t, err)
	require.Empty(t, res.Allowances, "nothing of the first session's left to end")
	require.Equal(t, second.SessionSigner(), e.tokenAccount(walletATA).Delegate, "the first revoke leaves the second's allowance")

	res, err = e.m.Revoke(e.ctx, second, RevokeParams{})
	require.NoError(t, err)
	require.Len(t, res.Allowances, 1)
	require.Equal(t, uint64(allowance), res.Allowances[0].Remaining)
	a = e.tokenAccount(walletATA)
	require.True(t, a.Delegate.IsZero(), "revoke signed by the session key ended the allowance")
	require.Zero(t, a.DelegatedAmount)
	require.Equal(t, uint64(supply-spend), a.Amount)
	require.Equal(t, uint64(spend), e.tokens(shopATA))
}

func TestTokenTopUpParamsChecked(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	mint := e.newMint(issuer, plainToken)
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), 10)
	notMint := e.funded(1_000_000).PublicKey()
	base := CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000}
	for _, tc := range []struct {
		name   string
		grants []TokenGrant
		text   string
	}{
		{name: "no mint", grants: []TokenGrant{{Amount: 1}}, text: "has no Mint"},
		{name: "no amount", grants: []TokenGrant{{Mint: mint}}, text: "has no Amount"},
		{name: "mode", grants: []TokenGrant{{Mint: mint, Amount: 1, Mode: 7}}, text: "unknown mode 7"},
		{name: "twice", grants: []TokenGrant{{Mint: mint, Amount: 1}, {Mint: mint, Amount: 1}}, text: "granted twice"},
		{name: "not a mint", grants: []TokenGrant{{Mint: notMint, Amount: 1}}, text: "not Token or Token-2022"},
		{name: "missing mint", grants: []TokenGrant{{Mint: solana.NewWallet().PublicKey(), Amount: 1}}, text: "does not exist"},
		{name: "too few", grants: []TokenGrant{{Mint: mint, Amount: 11}}, text: "holds 10 of mint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Tokens = tc.grants
			_, err := e.m.Create(e.ctx, authority, p)
			require.ErrorIs(t, err, ErrBadParams)
			require.ErrorContains(t, err, tc.text)
		})
	}
	var short *InsufficientTokensError
	_, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1, Tokens: []TokenGrant{{Mint: mint, Amount: 11}}})
	require.ErrorAs(t, err, &short)
	require.Equal(t, InsufficientTokensError{Mint: mint, Account: walletATA, Have: 10, Want: 11}, *short)
}

// buy_item spends the session's token top-up by CPI to the token program, with the
// session checks of move_player; a purchase beyond what the session's account holds is
// refused on chain, and one without a valid session too.
func TestTokenTopUpBuyItem(t *testing.T) {
	for _, spec := range []mintSpec{plainToken, feeMint} {
		t.Run(spec.program.String()[:8], func(t *testing.T) {
			e := newEnv(t)
			issuer := e.funded(1_000_000_000)
			authority := e.funded(1_000_000_000)
			mint := e.newMint(issuer, spec)
			e.mintTo(issuer, mint, spec.program, authority.PublicKey(), 1_000_000_000)
			treasuryOwner, err := e.game.Treasury()
			require.NoError(t, err)
			treasury := e.mintTo(issuer, mint, spec.program, treasuryOwner, 0)
			player := e.player(e.game, authority)
			s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour,
				Tokens: []TokenGrant{{Mint: mint, Amount: 50_000_000}}})
			require.NoError(t, err)
			source := s.TokenGrants()[0].Account
			held := s.TokenGrants()[0].Arrived
			buy := func(amount uint64, token solana.PublicKey) solana.Instruction {
				ix, err := e.game.BuyItem(examplegame.Purchase{Player: player, Signer: s.SessionSigner(), Token: token,
					Source: source, Mint: mint, TokenProgram: spec.program, Amount: amount})
				require.NoError(t, err)
				return ix
			}
			_, err = s.Send(e.ctx, []solana.Instruction{buy(20_000_000, s.Token())})
			require.NoError(t, err, "the guard lets a target-program instruction through; the game checks the session")
			require.Equal(t, uint64(20_000_000)-spec.fee(20_000_000), e.tokens(treasury))
			require.Equal(t, held-20_000_000, e.tokens(source))

			_, err = s.Send(e.ctx, []solana.Instruction{buy(held, s.Token())})
			var pe *txn.ProgramError
			require.ErrorAs(t, err, &pe, "more than the session holds")
			require.Equal(t, uint32(1), pe.Code, "the token program's InsufficientFunds")
			require.Equal(t, spec.program, *pe.ProgramID)
			require.Equal(t, held-20_000_000, e.tokens(source), "refused on chain, nothing moved")

			// Without the session token the game wants the owner's signature.
			err = e.sendUnchecked(s, buy(1, gameID))
			require.ErrorContains(t, err, "6000")
			require.Equal(t, held-20_000_000, e.tokens(source))
		})
	}
}

// A pool deletes a key only when the chain shows its signer holds neither lamports nor
// token accounts: tokens that reach a revoked session's signer keep its key in the
// store until a later pass can sweep them back.
func TestTokenTopUpPoolKeepsKeyWhileTokensRemain(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	mint := e.newMint(issuer, plainToken)
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), 1_000)
	store := newMemStore()
	var log errLog
	pool := NewPool(e.m, PoolConfig{Persister: store, Interval: -1, OnError: log.add})
	defer pool.Close()
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour,
		Tokens: []TokenGrant{{Mint: mint, Amount: 100}}})
	require.NoError(t, err)
	_, err = pool.Put(e.ctx, s)
	require.NoError(t, err)
	_, err = e.m.Revoke(e.ctx, s, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, uint64(1_000), e.tokens(walletATA))

	// Someone sends the revoked session's signer tokens; it has no lamports to move them.
	gift := e.mintTo(issuer, mint, spl.TokenProgramID, s.SessionSigner(), 7)
	_, err = pool.Remove(e.ctx, authority.PublicKey(), gameID)
	require.NoError(t, err)
	snaps, err := store.Load(e.ctx)
	require.NoError(t, err)
	require.Len(t, snaps, 1, "the key stays: its signer holds a token account")
	require.NotEmpty(t, log.all())
	require.ErrorIs(t, log.all()[0], ErrNoSweep)

	// With lamports for the fee, the next pass sweeps the tokens back and lets the key go.
	require.NoError(t, e.net.Fund(e.ctx, s.SessionSigner(), 1_000_000))
	require.NoError(t, pool.Maintain(e.ctx))
	snaps, err = store.Load(e.ctx)
	require.NoError(t, err)
	require.Empty(t, snaps)
	require.Equal(t, uint64(1_007), e.tokens(walletATA))
	require.False(t, e.exists(gift))
	require.False(t, e.exists(s.SessionSigner()))
}
