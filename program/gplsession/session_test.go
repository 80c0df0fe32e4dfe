package gplsession_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/programtest"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
)

// The session tests drive the program only through its wire interface (client builders,
// raw argument bytes where the builders refuse), so they hold for any gpl_session
// 3.0.11 build loaded at programtest.SessionID (see programtest.Main).

// bytesOf decodes space-separated hex.
func bytesOf(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func le64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

func discriminator(kind client.InstructionKind) []byte {
	d := kind.Discriminator()
	return d[:]
}

// requireToken checks the token account's owner, lamports and exact data.
func requireToken(e *programtest.Env, addr solana.PublicKey, lamports uint64, want client.TokenAccount) {
	e.T.Helper()
	acc := e.Account(addr)
	require.NotNil(e.T, acc, "token account")
	require.Equal(e.T, programtest.SessionID, acc.Owner)
	require.Equal(e.T, lamports, acc.Lamports)
	require.False(e.T, acc.Executable)
	data := acc.Data.GetBinary()
	var got client.TokenAccount
	switch want.Version {
	case pda.V1:
		require.Len(e.T, data, client.SessionTokenLen)
		tok, err := client.DecodeSessionToken(programtest.SessionID, acc.Owner, data)
		require.NoError(e.T, err)
		got = tok.TokenAccount()
	case pda.V2:
		require.Len(e.T, data, client.SessionTokenV2Len)
		tok, err := client.DecodeSessionTokenV2(programtest.SessionID, acc.Owner, data)
		require.NoError(e.T, err)
		got = tok.TokenAccount()
	}
	require.Equal(e.T, want, got)
}

func requireClosed(e *programtest.Env, addr solana.PublicKey) {
	e.T.Helper()
	require.Nil(e.T, e.Account(addr), "closed account %s", addr)
}

// create_session with every argument form: defaults, top-ups, the 7-day limit, and the
// forms only raw bytes can express. The authority pays rent, top-up and both signatures.
func TestCreateSession(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireLamportsArgument(t, e.Net)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenLen)
	const funds = 1_000_000_000
	target := programtest.SessionID
	tests := []struct {
		name       string
		create     client.CreateArgs
		args       []byte // replaces the arguments when set
		topUp      uint64
		validUntil int64
	}{
		{name: "defaults: 1 hour, no top-up", validUntil: now + 3600},
		{name: "default top-up", create: client.CreateArgs{TopUp: new(true)}, topUp: 10_000_000, validUntil: now + 3600},
		{name: "top-up amount", create: client.CreateArgs{TopUp: new(true), Lamports: new(uint64(5_000_000))}, topUp: 5_000_000, validUntil: now + 3600},
		{name: "top-up false", create: client.CreateArgs{TopUp: new(false)}, validUntil: now + 3600},
		{name: "zero top-up", create: client.CreateArgs{TopUp: new(true), Lamports: new(uint64(0))}, validUntil: now + 3600},
		{
			name:       "exactly 7 days",
			create:     client.CreateArgs{ValidUntil: new(int64(now + 604800)), ClusterTime: now},
			validUntil: now + 604800,
		},
		{name: "lamports ignored when top_up is Some(false)", args: slices.Concat(bytesOf(t, "01 00 00 01"), le64(5_000_000)), validUntil: now + 3600},
		{name: "lamports ignored when top_up is None", args: slices.Concat(bytesOf(t, "00 00 01"), le64(5_000_000)), validUntil: now + 3600},
		{name: "valid_until in the past is accepted", args: slices.Concat(bytesOf(t, "00 01"), le64(now-1), bytesOf(t, "00")), validUntil: now - 1},
		{name: "trailing bytes are ignored", args: bytesOf(t, "01 01 00 00 ff ff ff"), topUp: 10_000_000, validUntil: now + 3600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := programtest.Setup(t)
			authority := e.Wallet(funds)
			signer := programtest.NewKey(t)
			ix := e.Must(client.NewCreateSession(client.CreateSessionAccounts{
				SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
			}, tc.create))
			if tc.args != nil {
				ix = e.Edit(ix, nil).SetData(slices.Concat(discriminator(client.CreateSession), tc.args)).Build()
			}
			res := e.Send(authority, programtest.Ixs(ix), signer)
			require.Equal(t, uint64(2*programtest.FeePerSignature), res.Fee)

			require.Equal(t, funds-rent-tc.topUp-res.Fee, e.Balance(authority.PublicKey()))
			require.Equal(t, tc.topUp, e.Balance(signer.PublicKey()))
			token := programtest.TokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())
			requireToken(e, token, rent, client.TokenAccount{
				Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: target,
				SessionSigner: signer.PublicKey(), ValidUntil: tc.validUntil,
			})
		})
	}
}

// create_session_with_payer: the payer pays rent, top-up and fee; the authority only
// signs and is recorded; revoking refunds the rent to the authority, not the payer.
func TestCreateSessionWithPayer(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionWithPayer)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenLen)
	payer, authority, stranger := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	signer := programtest.NewKey(t)
	target := programtest.SessionID

	ix := e.Must(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
		SessionSigner: signer.PublicKey(), Payer: payer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, client.CreateArgs{TopUp: new(true), ValidFor: 2 * time.Hour, ClusterTime: now}))
	res := e.Send(payer, programtest.Ixs(ix), signer, authority)
	require.Equal(t, uint64(3*programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 10_000_000 - res.Fee, 1_000_000_000, 10_000_000},
		e.Balances(payer.PublicKey(), authority.PublicKey(), signer.PublicKey()))
	token := programtest.TokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())
	requireToken(e, token, rent, client.TokenAccount{
		Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: target,
		SessionSigner: signer.PublicKey(), ValidUntil: now + 7200,
	})

	revoke := e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}, client.RevokeArgs{}))
	res = e.Send(stranger, programtest.Ixs(revoke))
	require.Equal(t, uint64(programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 10_000_000 - 3*programtest.FeePerSignature, 1_000_000_000 + rent, 1_000_000_000 - res.Fee},
		e.Balances(payer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	requireClosed(e, token)
}

// create_session_v2: the fee payer pays and is recorded in the 144-byte token.
func TestCreateSessionV2(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenV2Len)
	feePayer, authority := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	signer := programtest.NewKey(t)
	target := programtest.SessionID

	ix := e.Must(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(2_000_000))}))
	res := e.Send(feePayer, programtest.Ixs(ix), signer, authority)
	require.Equal(t, uint64(3*programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 2_000_000 - res.Fee, 1_000_000_000, 2_000_000},
		e.Balances(feePayer.PublicKey(), authority.PublicKey(), signer.PublicKey()))
	requireToken(e, programtest.TokenAddress(t, pda.V2, target, signer.PublicKey(), authority.PublicKey()), rent, client.TokenAccount{
		Version: pda.V2, Authority: authority.PublicKey(), TargetProgram: target,
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(), ValidUntil: now + 3600,
	})
}

// revoke_session: anyone may revoke; the rent goes to the authority; the closed address
// can be created again.
func TestRevokeSession(t *testing.T) {
	e := programtest.Setup(t)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenLen)
	authority, stranger := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	signer := programtest.NewKey(t)
	token := e.CreateV1(authority, signer, programtest.SessionID, client.CreateArgs{})
	afterCreate := e.Balance(authority.PublicKey())

	revoke := e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}, client.RevokeArgs{}))
	res := e.Send(stranger, programtest.Ixs(revoke))
	require.Equal(t, uint64(programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{afterCreate + rent, 1_000_000_000 - res.Fee},
		e.Balances(authority.PublicKey(), stranger.PublicKey()))
	requireClosed(e, token)

	_, err := e.Simulate(stranger, programtest.Ixs(revoke))
	programtest.RequireProgramError(t, err, programtest.SessionID, 3012, txn.ErrAccountNotInitialized)

	again := e.CreateV1(authority, signer, programtest.SessionID, client.CreateArgs{})
	require.Equal(t, token, again)
	require.Equal(t, afterCreate+rent-rent-2*programtest.FeePerSignature, e.Balance(authority.PublicKey()))
	requireToken(e, token, rent, client.TokenAccount{
		Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: programtest.SessionID,
		SessionSigner: signer.PublicKey(), ValidUntil: now + 3600,
	})
}

// revoke_session_v2: the authority must sign while now < valid_until; from valid_until
// on anyone may revoke. The rent always goes to the recorded fee payer.
func TestRevokeSessionV2(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	localnettest.RequireSessionInstruction(t, e.Net, client.RevokeSessionV2)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenV2Len)
	feePayer, authority, stranger := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	target := programtest.SessionID
	validUntil := now + 100
	args := client.CreateArgs{ValidUntil: &validUntil, ClusterTime: now}

	revoke := func(token solana.PublicKey, authoritySigns bool) solana.Instruction {
		return e.Must(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{
			SessionToken: token, FeePayer: feePayer.PublicKey(), Authority: authority.PublicKey(),
		}, client.RevokeArgs{AuthorityUnsigned: !authoritySigns}))
	}
	active := e.CreateV2(feePayer, authority, programtest.NewKey(t), target, args)
	signed := e.CreateV2(feePayer, authority, programtest.NewKey(t), target, args)
	expired := e.CreateV2(feePayer, authority, programtest.NewKey(t), target, args)
	expiredSigned := e.CreateV2(feePayer, authority, programtest.NewKey(t), target, args)

	// Active: the authority's signature is what makes the revoke valid.
	_, err := e.Simulate(stranger, programtest.Ixs(revoke(active, false)))
	programtest.RequireProgramError(t, err, programtest.SessionID, 6003, client.ErrInvalidAuthority)
	before := e.Balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey())
	res := e.Send(stranger, programtest.Ixs(revoke(signed, true)), authority)
	require.Equal(t, uint64(2*programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{before[0] + rent, before[1], before[2] - res.Fee},
		e.Balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	requireClosed(e, signed)

	// One second before valid_until the token is still active.
	e.SetClock(validUntil - 1)
	_, err = e.Simulate(stranger, programtest.Ixs(revoke(active, false)))
	programtest.RequireProgramError(t, err, programtest.SessionID, 6003, client.ErrInvalidAuthority)

	// At valid_until (now >= valid_until) it has expired: anyone may revoke.
	e.SetClock(validUntil)
	before = e.Balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey())
	res = e.Send(stranger, programtest.Ixs(revoke(expired, false)))
	require.Equal(t, []uint64{before[0] + rent, before[1], before[2] - res.Fee},
		e.Balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	requireClosed(e, expired)
	res = e.Send(stranger, programtest.Ixs(revoke(expiredSigned, true)), authority)
	require.Equal(t, before[0]+2*rent, e.Balance(feePayer.PublicKey()))
	requireClosed(e, expiredSigned)
	e.Send(stranger, programtest.Ixs(revoke(active, false)))
	requireClosed(e, active)
}

// Creating over an existing token fails in the System program; an address that was
// merely sent lamports is created the way Anchor's init does it (top up to the rent
// minimum, allocate, assign), keeping any excess.
func TestCreateAtUsedAddress(t *testing.T) {
	e := programtest.Setup(t)
	now := e.FreezeClock()
	rent := e.Rent(client.SessionTokenLen)
	authority := e.Wallet(1_000_000_000)

	t.Run("token exists", func(t *testing.T) {
		e := programtest.Setup(t)
		signer := programtest.NewKey(t)
		e.CreateV1(authority, signer, programtest.SessionID, client.CreateArgs{})
		ix := e.Must(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: programtest.SessionID,
		}, client.CreateArgs{TopUp: new(true)}))
		_, err := e.Simulate(authority, programtest.Ixs(ix), signer)
		programtest.RequireProgramError(t, err, solana.SystemProgramID, 0, txn.ErrAccountInUse)
	})
	for _, prefund := range []uint64{1_000_000, 3_000_000} {
		t.Run("address holds lamports", func(t *testing.T) {
			e := programtest.Setup(t)
			signer := programtest.NewKey(t)
			token := programtest.TokenAddress(t, pda.V1, programtest.SessionID, signer.PublicKey(), authority.PublicKey())
			require.NoError(t, e.Net.Fund(e.Ctx, token, prefund))
			before := e.Balance(authority.PublicKey())
			e.CreateV1(authority, signer, programtest.SessionID, client.CreateArgs{})
			held := max(rent, prefund)
			require.Equal(t, before-(held-prefund)-2*programtest.FeePerSignature, e.Balance(authority.PublicKey()))
			requireToken(e, token, held, client.TokenAccount{
				Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: programtest.SessionID,
				SessionSigner: signer.PublicKey(), ValidUntil: now + 3600,
			})

			before = e.Balance(authority.PublicKey())
			revoke := e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}, client.RevokeArgs{}))
			res := e.Send(authority, programtest.Ixs(revoke))
			require.Equal(t, before+held-res.Fee, e.Balance(authority.PublicKey()))
			requireClosed(e, token)
		})
	}
}

// Every way a create can be refused, with Anchor's error for it, checked in the order
// Anchor validates: instruction data, account types in struct order, the token's init
// (seeds, System CPI), the other constraints, then the handler.
func TestCreateErrors(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionWithPayer)
	now := e.FreezeClock()
	authority, stranger, poor := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000), e.Wallet(1_000_000)
	signer := programtest.NewKey(t)
	target := programtest.SessionID
	v1 := func(auth solana.PrivateKey) *programtest.Instruction {
		return e.Edit(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer.PublicKey(), Authority: auth.PublicKey(), TargetProgram: target,
		}, client.CreateArgs{ValidUntil: new(int64(now + 604800)), ClusterTime: now}))
	}
	withPayer := func() *programtest.Instruction {
		return e.Edit(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
			SessionSigner: signer.PublicKey(), Payer: stranger.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
		}, client.CreateArgs{}))
	}
	v2 := func() *programtest.Instruction {
		return e.Edit(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
			SessionSigner: signer.PublicKey(), FeePayer: stranger.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
		}, client.CreateArgs{}))
	}
	disc := discriminator(client.CreateSession)
	unknown := sha256.Sum256([]byte("global:close_session"))
	// Anchor's EVENT_IX_TAG, sent little-endian.
	eventTag := binary.LittleEndian.AppendUint64(nil, 0x1d9acb512ea545e4)
	otherSigner := programtest.NewKey(t).PublicKey()
	wallet := stranger.PublicKey()

	type signers []solana.PrivateKey
	tests := []struct {
		name     string
		ix       *programtest.Instruction
		payer    solana.PrivateKey
		signers  signers
		system   bool // raised by the System program (inside the token's init)
		code     uint32
		sentinel error
	}{
		{name: "no instruction data", ix: v1(authority).SetData(nil), code: 101, sentinel: txn.ErrInstructionFallbackNotFound},
		{name: "data shorter than a discriminator", ix: v1(authority).SetData(disc[:7]), code: 101, sentinel: txn.ErrInstructionFallbackNotFound},
		{name: "unknown instruction", ix: v1(authority).SetData(unknown[:8]), code: 101, sentinel: txn.ErrInstructionFallbackNotFound},
		{name: "Anchor event tag", ix: v1(authority).SetData(eventTag[:8]), code: 1500},
		{name: "no arguments", ix: v1(authority).SetData(disc), code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "pre-2025 two-argument form", ix: v1(authority).SetData(slices.Concat(disc, bytesOf(t, "01 01 00"))), code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "option tag 2", ix: v1(authority).SetData(slices.Concat(disc, bytesOf(t, "02 00 00"))), code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "bool 2", ix: v1(authority).SetData(slices.Concat(disc, bytesOf(t, "01 02 00 00"))), code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "truncated valid_until", ix: v1(authority).SetData(slices.Concat(disc, bytesOf(t, "00 01 00 00"))), code: 102, sentinel: txn.ErrInstructionDidNotDeserialize},
		{name: "four accounts", ix: v1(authority).TruncateAccounts(4), code: 3005},
		{name: "session signer did not sign", ix: v1(authority).SetSigner(1, false), signers: signers{}, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "authority did not sign", ix: v1(authority).SetSigner(2, false), payer: stranger, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "system program is a wallet", ix: v1(authority).SetAccount(4, wallet), code: 3008},
		{
			name: "token address of another session signer",
			ix:   v1(authority).SetAccount(0, programtest.TokenAddress(t, pda.V1, target, otherSigner, authority.PublicKey())),
			code: 2006, sentinel: txn.ErrConstraintSeeds,
		},
		{
			name: "V2 token address",
			ix:   v1(authority).SetAccount(0, programtest.TokenAddress(t, pda.V2, target, signer.PublicKey(), authority.PublicKey())),
			code: 2006, sentinel: txn.ErrConstraintSeeds,
		},
		{name: "session signer read-only", ix: v1(authority).SetWritable(1, false), code: 2000, sentinel: txn.ErrConstraintMut},
		{
			name: "target program is a wallet",
			ix: v1(authority).SetAccount(3, wallet).
				SetAccount(0, programtest.TokenAddress(t, pda.V1, wallet, signer.PublicKey(), authority.PublicKey())),
			code: 2007, sentinel: txn.ErrConstraintExecutable,
		},
		{
			name: "valid_until one second past 7 days",
			ix:   v1(authority).SetData(slices.Concat(disc, bytesOf(t, "00 01"), le64(now+604801), bytesOf(t, "00"))),
			code: 6000, sentinel: client.ErrValidityTooLong,
		},
		{name: "authority cannot pay the rent", ix: v1(poor), payer: stranger, signers: signers{signer, poor}, system: true, code: 1, sentinel: txn.ErrInsufficientFunds},
		{name: "with_payer: payer did not sign", ix: withPayer().SetSigner(2, false), payer: authority, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "with_payer: authority did not sign", ix: withPayer().SetSigner(3, false), payer: stranger, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "v2: fee payer did not sign", ix: v2().SetSigner(2, false), payer: authority, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{name: "v2: authority did not sign", ix: v2().SetSigner(3, false), payer: stranger, code: 3010, sentinel: txn.ErrAccountNotSigner},
		{
			name:  "v2: V1 token address",
			ix:    v2().SetAccount(0, programtest.TokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())),
			payer: stranger, code: 2006, sentinel: txn.ErrConstraintSeeds,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := programtest.Setup(t)
			payer := tc.payer
			if payer == nil {
				payer = authority
			}
			list := tc.signers
			if list == nil {
				list = signers{signer, authority, stranger}
			}
			ix := tc.ix.Build()
			// Sign with exactly the keys the instruction marks as signers.
			var keys []solana.PrivateKey
			for _, k := range list {
				for _, m := range ix.Accounts() {
					if m.IsSigner && m.PublicKey == k.PublicKey() && k.PublicKey() != payer.PublicKey() {
						keys = append(keys, k)
						break
					}
				}
			}
			program := programtest.SessionID
			if tc.system {
				program = solana.SystemProgramID
			}
			_, err := e.Simulate(payer, programtest.Ixs(ix), keys...)
			programtest.RequireProgramError(t, err, program, tc.code, tc.sentinel)
		})
	}
}

// A payer the instruction marks read-only cannot fund the token: the System program
// CPI needs it writable, and the runtime refuses to escalate the privilege.
func TestCreateReadOnlyPayer(t *testing.T) {
	e := programtest.Setup(t)
	authority, stranger := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	signer := programtest.NewKey(t)
	ix := e.Edit(client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: programtest.SessionID,
	}, client.CreateArgs{})).SetWritable(2, false).Build()
	_, err := e.Simulate(stranger, programtest.Ixs(ix), signer, authority)
	var ie *txn.InstructionError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "PrivilegeEscalation", ie.Name)
}

// Every way a revoke can be refused: account loading (3012, 3007, 3001, 3002, 3003,
// 3011, 3008, 3005), then the token's seeds, mut and has_one constraints, the
// recipient's mut, and for V2 the authority rule.
func TestRevokeErrors(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	localnettest.RequireSessionInstruction(t, e.Net, client.RevokeSessionV2)
	e.FreezeClock()
	authority, feePayer, stranger := e.Wallet(1_000_000_000), e.Wallet(1_000_000_000), e.Wallet(1_000_000_000)
	tokenV1 := e.CreateV1(authority, programtest.NewKey(t), programtest.SessionID, client.CreateArgs{})
	tokenV2 := e.CreateV2(feePayer, authority, programtest.NewKey(t), programtest.SessionID, client.CreateArgs{})
	neverCreated := programtest.TokenAddress(t, pda.V1, programtest.SessionID, programtest.NewKey(t).PublicKey(), authority.PublicKey())
	v1 := func(token, auth solana.PublicKey) *programtest.Instruction {
		return e.Edit(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: auth}, client.RevokeArgs{}))
	}
	v2 := func(token, payer, auth solana.PublicKey) *programtest.Instruction {
		return e.Edit(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: token, FeePayer: payer, Authority: auth}, client.RevokeArgs{}))
	}
	a, f := authority.PublicKey(), feePayer.PublicKey()
	wallet := stranger.PublicKey()
	tests := []struct {
		name     string
		ix       *programtest.Instruction
		code     uint32
		sentinel error
	}{
		{name: "token never created", ix: v1(neverCreated, a), code: 3012, sentinel: txn.ErrAccountNotInitialized},
		{name: "token is a wallet", ix: v1(wallet, a), code: 3007, sentinel: txn.ErrAccountOwnedByWrongProgram},
		{name: "token data without a discriminator", ix: v1(programtest.Fixtures.NoDiscriminator, a), code: 3001},
		{name: "V2 token", ix: v1(tokenV2, a), code: 3002, sentinel: txn.ErrAccountDiscriminatorMismatch},
		{name: "V1 token one byte short", ix: v1(programtest.Fixtures.ShortV1, programtest.Fixtures.ForgedAuthority), code: 3003},
		{name: "authority not System-owned", ix: v1(tokenV1, programtest.SessionID), code: 3011, sentinel: txn.ErrAccountNotSystemOwned},
		{name: "system program is a wallet", ix: v1(tokenV1, a).SetAccount(2, wallet), code: 3008},
		{name: "two accounts", ix: v1(tokenV1, a).TruncateAccounts(2), code: 3005},
		{name: "token not at its PDA", ix: v1(programtest.Fixtures.ForgedV1, programtest.Fixtures.ForgedAuthority), code: 2006, sentinel: txn.ErrConstraintSeeds},
		{name: "token read-only", ix: v1(tokenV1, a).SetWritable(0, false), code: 2000, sentinel: txn.ErrConstraintMut},
		{name: "another authority", ix: v1(tokenV1, wallet), code: 2001, sentinel: txn.ErrConstraintHasOne},
		{name: "authority read-only", ix: v1(tokenV1, a).SetWritable(1, false), code: 2000, sentinel: txn.ErrConstraintMut},
		{name: "v2: V1 token", ix: v2(tokenV1, f, a), code: 3002, sentinel: txn.ErrAccountDiscriminatorMismatch},
		{name: "v2: token one byte short", ix: v2(programtest.Fixtures.ShortV2, programtest.Fixtures.ForgedFeePayer, programtest.Fixtures.ForgedAuthority).SetSigner(2, false), code: 3003},
		{name: "v2: fee payer not System-owned", ix: v2(tokenV2, programtest.SessionID, a), code: 3011, sentinel: txn.ErrAccountNotSystemOwned},
		{name: "v2: authority not System-owned", ix: v2(tokenV2, f, programtest.SessionID).SetSigner(2, false), code: 3011, sentinel: txn.ErrAccountNotSystemOwned},
		{name: "v2: token not at its PDA", ix: v2(programtest.Fixtures.ForgedV2, programtest.Fixtures.ForgedFeePayer, programtest.Fixtures.ForgedAuthority).SetSigner(2, false), code: 2006, sentinel: txn.ErrConstraintSeeds},
		{name: "v2: another fee payer", ix: v2(tokenV2, wallet, a), code: 2001, sentinel: txn.ErrConstraintHasOne},
		{name: "v2: another authority", ix: v2(tokenV2, f, wallet), code: 2001, sentinel: txn.ErrConstraintHasOne},
		{name: "v2: fee payer read-only", ix: v2(tokenV2, f, a).SetWritable(1, false), code: 2000, sentinel: txn.ErrConstraintMut},
		{name: "v2: active token, authority did not sign", ix: v2(tokenV2, f, a).SetSigner(2, false), code: 6003, sentinel: client.ErrInvalidAuthority},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := programtest.Setup(t)
			ix := tc.ix.Build()
			var signers []solana.PrivateKey
			for _, m := range ix.Accounts() {
				if m.IsSigner && m.PublicKey == a {
					signers = append(signers, authority)
				}
			}
			_, err := e.Simulate(stranger, programtest.Ixs(ix), signers...)
			programtest.RequireProgramError(t, err, programtest.SessionID, tc.code, tc.sentinel)
		})
	}
}
