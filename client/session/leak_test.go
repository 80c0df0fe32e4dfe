package session

import (
	"crypto/ed25519"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
)

// attack sends ixs signed by the leaked key alone, built with solana-go: no sessionkit
// session code. Signatures the key cannot make stay zero, as an attacker's would.
func (e *env) attack(leaked solana.PrivateKey, ixs ...solana.Instruction) error {
	e.t.Helper()
	bh, err := e.rpc.GetLatestBlockhash(e.ctx, rpc.CommitmentConfirmed)
	require.NoError(e.t, err)
	tx, err := solana.NewTransaction(ixs, bh.Value.Blockhash, solana.TransactionPayer(leaked.PublicKey()))
	require.NoError(e.t, err)
	msg, err := tx.Message.MarshalBinary()
	require.NoError(e.t, err)
	tx.Signatures = make([]solana.Signature, tx.Message.Header.NumRequiredSignatures)
	for i := range tx.Signatures {
		if tx.Message.AccountKeys[i] == leaked.PublicKey() {
			tx.Signatures[i] = solana.SignatureFromBytes(ed25519.Sign(ed25519.PrivateKey(leaked), msg))
		}
	}
	_, err = e.snd.SendSigned(e.ctx, tx, bh.Value.LastValidBlockHeight)
	return err
}

// A leaked session key, used without sessionkit, takes at most the SOL top-up, the
// token top-up and the delegate allowance: every attempt on the authority's own
// accounts fails on chain, and the authority's balances show exactly that loss.
func TestLeakedKeyTakesOnlyTheCaps(t *testing.T) {
	e := newEnv(t)
	issuer := e.funded(1_000_000_000)
	authority := e.funded(1_000_000_000)
	thief := solana.NewWallet().PublicKey()
	topMint, delMint, otherMint := e.newMint(issuer, plainToken), e.newMint(issuer, plain2022), e.newMint(issuer, plainToken)
	const supply, topUp, allowance = 1_000_000_000, 50_000_000, 20_000_000
	topATA := e.mintTo(issuer, topMint, spl.TokenProgramID, authority.PublicKey(), supply)
	delATA := e.mintTo(issuer, delMint, spl.Token2022ProgramID, authority.PublicKey(), supply)
	otherATA := e.mintTo(issuer, otherMint, spl.TokenProgramID, authority.PublicKey(), supply)
	thiefTop := e.mintTo(issuer, topMint, spl.TokenProgramID, thief, 0)
	thiefDel := e.mintTo(issuer, delMint, spl.Token2022ProgramID, thief, 0)
	thiefOther := e.mintTo(issuer, otherMint, spl.TokenProgramID, thief, 0)

	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 4_000_000, ValidFor: time.Hour,
		Tokens: []TokenGrant{{Mint: topMint, Amount: topUp}, {Mint: delMint, Amount: allowance, Mode: TokenDelegate}}})
	require.NoError(t, err)
	solAfterCreate := e.balance(authority.PublicKey())
	seed := s.Snapshot().Seed
	leaked := solana.PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	signer := leaked.PublicKey()
	sessionATA, err := spl.AssociatedTokenAddress(signer, topMint, spl.TokenProgramID)
	require.NoError(t, err)

	must := func(ix solana.Instruction, err error) solana.Instruction {
		t.Helper()
		require.NoError(t, err)
		return ix
	}
	// What must fail: every instruction on the authority's accounts beyond the allowance.
	// (Revoking its own allowance is allowed to a delegate, and harms nobody.)
	refused := map[string][]solana.Instruction{
		"transfer from the wallet's top-up mint account": {must(spl.TransferChecked(spl.TokenProgramID, topATA, topMint, thiefTop, signer, 1, 6))},
		"transfer from a mint never granted":             {must(spl.TransferChecked(spl.TokenProgramID, otherATA, otherMint, thiefOther, signer, 1, 6))},
		"transfer as owner, unchecked":                   {must(spl.Transfer(spl.TokenProgramID, otherATA, thiefOther, signer, 1))},
		"more than the allowance":                        {must(spl.TransferChecked(spl.Token2022ProgramID, delATA, delMint, thiefDel, signer, allowance+1, 9))},
		"close the wallet's account":                     {must(spl.CloseAccount(spl.TokenProgramID, otherATA, thief, signer))},
		"approve itself on another account":              {must(spl.ApproveChecked(spl.TokenProgramID, otherATA, otherMint, signer, signer, supply, 6))},
		"raise its own allowance":                        {must(spl.ApproveChecked(spl.Token2022ProgramID, delATA, delMint, signer, signer, supply, 9))},
		"take the account's ownership": {solana.NewInstruction(spl.TokenProgramID, solana.AccountMetaSlice{
			solana.Meta(otherATA).WRITE(), solana.Meta(signer).SIGNER(),
		}, append([]byte{6, 2, 1}, thief[:]...))}, // SetAuthority(AccountOwner, Some(thief))
		"lamports of the wallet":   {system.NewTransferInstruction(1_000, authority.PublicKey(), thief).Build()},
		"revoke the session token": {solana.NewInstruction(e.m.ProgramID(), solana.AccountMetaSlice{solana.Meta(s.Token()).WRITE(), solana.Meta(thief).WRITE()}, binary.LittleEndian.AppendUint64(nil, 0))},
	}
	for name, ixs := range refused {
		require.Error(t, e.attack(leaked, ixs...), name)
	}

	// What the caps let it take: everything it holds and its allowance.
	require.NoError(t, e.attack(leaked,
		must(spl.TransferChecked(spl.TokenProgramID, sessionATA, topMint, thiefTop, signer, topUp, 6)),
		must(spl.TransferChecked(spl.Token2022ProgramID, delATA, delMint, thiefDel, signer, allowance, 9)),
	))
	require.Error(t, e.attack(leaked, must(spl.TransferChecked(spl.Token2022ProgramID, delATA, delMint, thiefDel, signer, 1, 9))), "the allowance is spent")
	bal := e.balance(signer)
	require.NoError(t, e.attack(leaked, system.NewTransferInstruction(bal-fee, signer, thief).Build()))

	require.Equal(t, uint64(topUp), e.tokens(thiefTop))
	require.Equal(t, uint64(allowance), e.tokens(thiefDel))
	require.Zero(t, e.tokens(thiefOther))
	require.Equal(t, uint64(supply-topUp), e.tokens(topATA), "the top-up left at create; nothing more")
	require.Equal(t, uint64(supply-allowance), e.tokens(delATA), "the allowance and nothing more")
	require.Equal(t, uint64(supply), e.tokens(otherATA))
	require.Equal(t, solAfterCreate, e.balance(authority.PublicKey()), "no lamport of the wallet's own")
	require.NotNil(t, e.tokenAccount(otherATA))
	require.Equal(t, authority.PublicKey(), e.tokenAccount(otherATA).Owner)
}
