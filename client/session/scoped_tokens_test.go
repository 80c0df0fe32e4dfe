package session

import (
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Both halves on real token spend: the chain holds the session to its 60-unit top-up,
// the grant to 10 a transaction and 40 in all. A direct TransferChecked from the
// session's account is measured from the message by the guard; buy_item spends by CPI
// and is counted by the limit's "simulate". Every refusal names its numbers, nothing
// refused moves a token, and the balances of every party are exact after the revoke.
func TestScopedTokenSpendOnChain(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	mint := e.newMint(issuer, plainToken)
	const supply, topUp, perTx, total = 1_000_000, 60, 10, 40
	walletATA := e.mintTo(issuer, mint, spl.TokenProgramID, authority.PublicKey(), supply)
	treasuryOwner, err := e.game.Treasury()
	require.NoError(t, err)
	treasury := e.mintTo(issuer, mint, spl.TokenProgramID, treasuryOwner, 0)
	player := e.player(e.game, authority)
	solStart := e.balance(authority.PublicKey())

	st := tokenstore.NewMemory()
	m := NewManager(e.rpc, e.snd, WithProgramID(e.m.ProgramID()), WithStore(st))
	g := grant.Grant{
		TargetProgram: gameID,
		Instructions:  []string{"move_player", "buy_item"},
		MaxUses:       100,
		Tokens:        []grant.TokenLimit{{Mint: mint, Limit: grant.Limit{PerTransaction: amount(perTx), Total: amount(total), Simulate: true}}},
	}
	s, err := m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour,
		Grant: &g, Tokens: []TokenGrant{{Mint: mint, Amount: topUp}}})
	require.NoError(t, err)
	require.NoError(t, StorePersister(st, m.ProgramID()).Save(e.ctx, s.Snapshot()))
	sessionATA := s.TokenGrants()[0].Account
	ataRent := e.balance(sessionATA)
	s.AllowPrograms(spl.TokenProgramID)

	transfer := func(n uint64) []solana.Instruction {
		ix, err := spl.TransferChecked(spl.TokenProgramID, sessionATA, mint, treasury, s.SessionSigner(), n, plainToken.decimals)
		require.NoError(t, err)
		return []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Right), ix}
	}
	buy := func(n uint64) []solana.Instruction {
		ix, err := e.game.BuyItem(examplegame.Purchase{Player: player, Signer: s.SessionSigner(), Token: s.Token(),
			Source: sessionATA, Mint: mint, TokenProgram: spl.TokenProgramID, Amount: n})
		require.NoError(t, err)
		return []solana.Instruction{ix}
	}
	landed := 0
	send := func(ixs []solana.Instruction) error {
		_, err := s.Send(e.ctx, ixs)
		if err == nil {
			landed++
		}
		return err
	}
	refusedBy := func(err error, detail string) {
		t.Helper()
		var re *guard.RefusedError
		require.ErrorAs(t, err, &re)
		require.ErrorIs(t, err, guard.ErrSpendLimit)
		require.ErrorContains(t, err, detail)
	}

	// A move that spends no token passes: the simulation counts only the token accounts
	// the message names (it may leave out the others, which must not read as emptied).
	require.NoError(t, send([]solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)}))
	require.NoError(t, send(transfer(perTx)))
	refusedBy(send(transfer(perTx+1)), "11 over the limit 10")
	require.NotContains(t, send(transfer(perTx+1)).Error(), "simulated", "the guard measured the transfer from the message")
	require.NoError(t, send(buy(perTx)))
	refusedBy(send(buy(perTx+1)), "token-limit perTransaction of mint "+mint.String()+" (simulated): 11 over the limit 10")
	require.NoError(t, send(transfer(perTx)))
	require.NoError(t, send(buy(perTx)))
	require.Equal(t, uint64(total), s.Grant().Used["token-0"])
	requireBound(t, send(transfer(1)), BoundToken, total, total, 1)
	requireBound(t, send(buy(1)), BoundToken, total, total, 1)
	require.ErrorContains(t, send(buy(1)), "token-limit total of mint "+mint.String()+": 40 used + 1 requested > 40")

	// The chain saw only what the grant let through.
	require.Equal(t, 5, landed)
	require.Equal(t, uint64(total), e.tokens(treasury))
	require.Equal(t, uint64(topUp-total), e.tokens(sessionATA), "the top-up's rest is the chain's cap, unspendable under the grant")
	require.Equal(t, uint64(supply-topUp), e.tokens(walletATA))
	left, err := s.Remaining(e.ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(topUp-total), left.Chain.Tokens[0].Remaining, "the chain's line: what the session's account holds")
	require.Equal(t, uint64(3_000_000-5*fee), left.Chain.SOL)
	require.Equal(t, []Budget{
		{Bound: BoundMaxUses, Limit: 100, Used: 5, Left: 95},
		{Bound: BoundToken, Mint: mint, Limit: total, Used: total, Left: 0},
	}, left.Grant, "sessionkit's lines: the grant's totals")
	// Another process (inspect) sees the store's view: the backend's reserved block of
	// uses counts as used.
	stored, err := st.Attachment(e.ctx, s.Token(), tokenstore.AttachmentGrant)
	require.NoError(t, err)
	budgets, err := GrantBudgets(e.ctx, st, s.Token(), stored)
	require.NoError(t, err)
	require.Equal(t, []Budget{
		{Bound: BoundMaxUses, Limit: 100, Used: usesBlock, Left: 100 - usesBlock},
		{Bound: BoundToken, Mint: mint, Limit: total, Used: total, Left: 0},
	}, budgets)

	res, err := m.Revoke(e.ctx, s, RevokeParams{})
	require.NoError(t, err)
	require.Len(t, res.Tokens, 1)
	require.Equal(t, uint64(topUp-total), res.Tokens[0].Amount)
	require.Equal(t, ataRent, res.Tokens[0].Rent)
	require.Equal(t, uint64(supply-total), e.tokens(walletATA))
	require.Equal(t, uint64(total), e.tokens(treasury))
	require.False(t, e.exists(sessionATA))
	// The wallet is out the create's two signatures, the five moves' and the revoke's.
	require.Equal(t, solStart-2*fee-5*fee-fee, e.balance(authority.PublicKey()))
}

// The simulation reads only the accounts a message lists; staticKeys finds them in
// legacy and v0 messages, and nothing in a message too short to hold them.
func TestScopedSimulationReadsListedAccounts(t *testing.T) {
	payer, to := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()
	msg, err := txn.CompileLegacy(payer, blockhashOf(0), system.NewTransferInstruction(1, payer, to).Build())
	require.NoError(t, err)
	legacy := msg.Bytes()
	require.Equal(t, []solana.PublicKey{payer, to, solana.SystemProgramID}, staticKeys(legacy))
	v0 := append([]byte{0x80}, legacy...)
	require.Equal(t, []solana.PublicKey{payer, to, solana.SystemProgramID}, staticKeys(v0))
	require.Nil(t, staticKeys(legacy[:4+32*2]), "three keys announced, two present")
	require.Empty(t, staticKeys(nil))
}

func FuzzStaticKeys(f *testing.F) {
	payer := solana.NewWallet().PublicKey()
	msg, err := txn.CompileLegacy(payer, blockhashOf(0), system.NewTransferInstruction(1, payer, payer).Build())
	require.NoError(f, err)
	f.Add(msg.Bytes())
	f.Add([]byte{0x80, 1, 0, 0, 0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys := staticKeys(b)
		require.LessOrEqual(t, 32*len(keys), len(b), "every key read lies within the message")
	})
}
