package program_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
)

// The session tests drive the program only through its wire interface (client builders,
// raw argument bytes where the builders refuse), so they hold for any gpl_session
// 3.0.11 build loaded at sessionID (see envSessionELF).

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

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func tokenAddress(t *testing.T, v pda.Version, target, signer, authority solana.PublicKey) solana.PublicKey {
	t.Helper()
	addr, _, err := pda.Find(v, sessionID, target, signer, authority)
	require.NoError(t, err)
	return addr
}

// requireToken checks the token account's owner, lamports and exact data.
func (e *env) requireToken(addr solana.PublicKey, lamports uint64, want client.Token) {
	e.t.Helper()
	acc := e.account(addr)
	require.NotNil(e.t, acc, "token account")
	require.Equal(e.t, sessionID, acc.Owner)
	require.Equal(e.t, lamports, acc.Lamports)
	require.False(e.t, acc.Executable)
	data := acc.Data.GetBinary()
	var got client.Token
	switch want.Version {
	case pda.V1:
		require.Len(e.t, data, client.SessionTokenLen)
		tok, err := client.DecodeSessionToken(sessionID, acc.Owner, data)
		require.NoError(e.t, err)
		got = tok.Token()
	case pda.V2:
		require.Len(e.t, data, client.SessionTokenV2Len)
		tok, err := client.DecodeSessionTokenV2(sessionID, acc.Owner, data)
		require.NoError(e.t, err)
		got = tok.Token()
	}
	require.Equal(e.t, want, got)
}

func (e *env) requireClosed(addr solana.PublicKey) {
	e.t.Helper()
	require.Nil(e.t, e.account(addr), "closed account %s", addr)
}

// createV1 lands create_session for (target, signer, authority) and returns the token.
func (e *env) createV1(authority, signer solana.PrivateKey, target solana.PublicKey, opts ...client.Option) solana.PublicKey {
	e.t.Helper()
	ix, err := client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
	}, opts...)
	require.NoError(e.t, err)
	e.send(authority, ixs(ix), signer)
	return tokenAddress(e.t, pda.V1, target, signer.PublicKey(), authority.PublicKey())
}

// createV2 lands create_session_v2 paid by feePayer and returns the token.
func (e *env) createV2(feePayer, authority, signer solana.PrivateKey, target solana.PublicKey, opts ...client.Option) solana.PublicKey {
	e.t.Helper()
	ix, err := client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, opts...)
	require.NoError(e.t, err)
	e.send(feePayer, ixs(ix), signer, authority)
	return tokenAddress(e.t, pda.V2, target, signer.PublicKey(), authority.PublicKey())
}

// create_session with every argument form: defaults, top-ups, the 7-day limit, and the
// forms only raw bytes can express. The authority pays rent, top-up and both signatures.
func TestCreateSession(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenLen)
	const funds = 1_000_000_000
	target := sessionID
	tests := []struct {
		name       string
		opts       []client.Option
		args       []byte // replaces the arguments when set
		topUp      uint64
		validUntil int64
	}{
		{name: "defaults: 1 hour, no top-up", validUntil: now + 3600},
		{name: "default top-up", opts: []client.Option{client.WithTopUp(true)}, topUp: 10_000_000, validUntil: now + 3600},
		{name: "top-up amount", opts: []client.Option{client.WithTopUp(true), client.WithLamports(5_000_000)}, topUp: 5_000_000, validUntil: now + 3600},
		{name: "top-up false", opts: []client.Option{client.WithTopUp(false)}, validUntil: now + 3600},
		{name: "zero top-up", opts: []client.Option{client.WithTopUp(true), client.WithLamports(0)}, validUntil: now + 3600},
		{
			name:       "exactly 7 days",
			opts:       []client.Option{client.WithValidUntil(now + 604800), client.WithClusterTime(now)},
			validUntil: now + 604800,
		},
		{name: "lamports ignored when top_up is Some(false)", args: cat(bytesOf(t, "01 00 00 01"), le64(5_000_000)), validUntil: now + 3600},
		{name: "lamports ignored when top_up is None", args: cat(bytesOf(t, "00 00 01"), le64(5_000_000)), validUntil: now + 3600},
		{name: "valid_until in the past is accepted", args: cat(bytesOf(t, "00 01"), le64(now-1), bytesOf(t, "00")), validUntil: now - 1},
		{name: "trailing bytes are ignored", args: bytesOf(t, "01 01 00 00 ff ff ff"), topUp: 10_000_000, validUntil: now + 3600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			authority := e.wallet(funds)
			signer := newKey(t)
			ix := must(t)(client.NewCreateSession(client.CreateSessionAccounts{
				SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
			}, tc.opts...))
			if tc.args != nil {
				ix = edit(t)(ix, nil).setData(cat(discriminator(client.CreateSession), tc.args)).build()
			}
			res := e.send(authority, ixs(ix), signer)
			require.Equal(t, uint64(2*feePerSignature), res.fee)

			require.Equal(t, funds-rent-tc.topUp-res.fee, e.balance(authority.PublicKey()))
			require.Equal(t, tc.topUp, e.balance(signer.PublicKey()))
			token := tokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())
			e.requireToken(token, rent, client.Token{
				Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: target,
				SessionSigner: signer.PublicKey(), ValidUntil: tc.validUntil,
			})
		})
	}
}

// create_session_with_payer: the payer pays rent, top-up and fee; the authority only
// signs and is recorded; revoking refunds the rent to the authority, not the payer.
func TestCreateSessionWithPayer(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenLen)
	payer, authority, stranger := e.wallet(1_000_000_000), e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	signer := newKey(t)
	target := sessionID

	ix := must(t)(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
		SessionSigner: signer.PublicKey(), Payer: payer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, client.WithTopUp(true), client.WithValidity(2*time.Hour), client.WithClusterTime(now)))
	res := e.send(payer, ixs(ix), signer, authority)
	require.Equal(t, uint64(3*feePerSignature), res.fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 10_000_000 - res.fee, 1_000_000_000, 10_000_000},
		e.balances(payer.PublicKey(), authority.PublicKey(), signer.PublicKey()))
	token := tokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())
	e.requireToken(token, rent, client.Token{
		Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: target,
		SessionSigner: signer.PublicKey(), ValidUntil: now + 7200,
	})

	revoke := must(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}))
	res = e.send(stranger, ixs(revoke))
	require.Equal(t, uint64(feePerSignature), res.fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 10_000_000 - 3*feePerSignature, 1_000_000_000 + rent, 1_000_000_000 - res.fee},
		e.balances(payer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	e.requireClosed(token)
}

// create_session_v2: the fee payer pays and is recorded in the 144-byte token.
func TestCreateSessionV2(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenV2Len)
	feePayer, authority := e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	signer := newKey(t)
	target := sessionID

	ix := must(t)(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, client.WithTopUp(true), client.WithLamports(2_000_000)))
	res := e.send(feePayer, ixs(ix), signer, authority)
	require.Equal(t, uint64(3*feePerSignature), res.fee)
	require.Equal(t, []uint64{1_000_000_000 - rent - 2_000_000 - res.fee, 1_000_000_000, 2_000_000},
		e.balances(feePayer.PublicKey(), authority.PublicKey(), signer.PublicKey()))
	e.requireToken(tokenAddress(t, pda.V2, target, signer.PublicKey(), authority.PublicKey()), rent, client.Token{
		Version: pda.V2, Authority: authority.PublicKey(), TargetProgram: target,
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(), ValidUntil: now + 3600,
	})
}

// revoke_session: anyone may revoke; the rent goes to the authority; the closed address
// can be created again.
func TestRevokeSession(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenLen)
	authority, stranger := e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	signer := newKey(t)
	token := e.createV1(authority, signer, sessionID)
	afterCreate := e.balance(authority.PublicKey())

	revoke := must(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}))
	res := e.send(stranger, ixs(revoke))
	require.Equal(t, uint64(feePerSignature), res.fee)
	require.Equal(t, []uint64{afterCreate + rent, 1_000_000_000 - res.fee},
		e.balances(authority.PublicKey(), stranger.PublicKey()))
	e.requireClosed(token)

	_, err := e.simulate(stranger, ixs(revoke))
	requireProgramError(t, err, sessionID, 3012, client.ErrAccountNotInitialized)

	again := e.createV1(authority, signer, sessionID)
	require.Equal(t, token, again)
	require.Equal(t, afterCreate+rent-rent-2*feePerSignature, e.balance(authority.PublicKey()))
	e.requireToken(token, rent, client.Token{
		Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: sessionID,
		SessionSigner: signer.PublicKey(), ValidUntil: now + 3600,
	})
}

// revoke_session_v2: the authority must sign while now < valid_until; from valid_until
// on anyone may revoke. The rent always goes to the recorded fee payer.
func TestRevokeSessionV2(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenV2Len)
	feePayer, authority, stranger := e.wallet(1_000_000_000), e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	target := sessionID
	validUntil := now + 100
	opts := []client.Option{client.WithValidUntil(validUntil), client.WithClusterTime(now)}

	revoke := func(token solana.PublicKey, authoritySigns bool) solana.Instruction {
		return must(t)(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{
			SessionToken: token, FeePayer: feePayer.PublicKey(), Authority: authority.PublicKey(),
		}, client.WithAuthoritySigner(authoritySigns)))
	}
	active := e.createV2(feePayer, authority, newKey(t), target, opts...)
	signed := e.createV2(feePayer, authority, newKey(t), target, opts...)
	expired := e.createV2(feePayer, authority, newKey(t), target, opts...)
	expiredSigned := e.createV2(feePayer, authority, newKey(t), target, opts...)

	// Active: the authority's signature is what makes the revoke valid.
	_, err := e.simulate(stranger, ixs(revoke(active, false)))
	requireProgramError(t, err, sessionID, 6003, client.ErrInvalidAuthority)
	before := e.balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey())
	res := e.send(stranger, ixs(revoke(signed, true)), authority)
	require.Equal(t, uint64(2*feePerSignature), res.fee)
	require.Equal(t, []uint64{before[0] + rent, before[1], before[2] - res.fee},
		e.balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	e.requireClosed(signed)

	// One second before valid_until the token is still active.
	e.setClock(validUntil - 1)
	_, err = e.simulate(stranger, ixs(revoke(active, false)))
	requireProgramError(t, err, sessionID, 6003, client.ErrInvalidAuthority)

	// At valid_until (now >= valid_until) it has expired: anyone may revoke.
	e.setClock(validUntil)
	before = e.balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey())
	res = e.send(stranger, ixs(revoke(expired, false)))
	require.Equal(t, []uint64{before[0] + rent, before[1], before[2] - res.fee},
		e.balances(feePayer.PublicKey(), authority.PublicKey(), stranger.PublicKey()))
	e.requireClosed(expired)
	res = e.send(stranger, ixs(revoke(expiredSigned, true)), authority)
	require.Equal(t, before[0]+2*rent, e.balance(feePayer.PublicKey()))
	e.requireClosed(expiredSigned)
	e.send(stranger, ixs(revoke(active, false)))
	e.requireClosed(active)
}

// Creating over an existing token fails in the System program; an address that was
// merely sent lamports is created the way Anchor's init does it (top up to the rent
// minimum, allocate, assign), keeping any excess.
func TestCreateAtUsedAddress(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	rent := e.rent(client.SessionTokenLen)
	authority := e.wallet(1_000_000_000)

	t.Run("token exists", func(t *testing.T) {
		e := setup(t)
		signer := newKey(t)
		e.createV1(authority, signer, sessionID)
		ix := must(t)(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: sessionID,
		}, client.WithTopUp(true)))
		_, err := e.simulate(authority, ixs(ix), signer)
		requireProgramError(t, err, solana.SystemProgramID, 0, client.ErrSessionExists)
	})
	for _, prefund := range []uint64{1_000_000, 3_000_000} {
		t.Run("address holds lamports", func(t *testing.T) {
			e := setup(t)
			signer := newKey(t)
			token := tokenAddress(t, pda.V1, sessionID, signer.PublicKey(), authority.PublicKey())
			require.NoError(t, e.net.Fund(e.ctx, token, prefund))
			before := e.balance(authority.PublicKey())
			e.createV1(authority, signer, sessionID)
			held := max(rent, prefund)
			require.Equal(t, before-(held-prefund)-2*feePerSignature, e.balance(authority.PublicKey()))
			e.requireToken(token, held, client.Token{
				Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: sessionID,
				SessionSigner: signer.PublicKey(), ValidUntil: now + 3600,
			})

			before = e.balance(authority.PublicKey())
			revoke := must(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: authority.PublicKey()}))
			res := e.send(authority, ixs(revoke))
			require.Equal(t, before+held-res.fee, e.balance(authority.PublicKey()))
			e.requireClosed(token)
		})
	}
}

// Every way a create can be refused, with Anchor's error for it, checked in the order
// Anchor validates: instruction data, account types in struct order, the token's init
// (seeds, System CPI), the other constraints, then the handler.
func TestCreateErrors(t *testing.T) {
	e := setup(t)
	now := e.freezeClock()
	authority, stranger, poor := e.wallet(1_000_000_000), e.wallet(1_000_000_000), e.wallet(1_000_000)
	signer := newKey(t)
	target := sessionID
	v1 := func(auth solana.PrivateKey) *instruction {
		return edit(t)(client.NewCreateSession(client.CreateSessionAccounts{
			SessionSigner: signer.PublicKey(), Authority: auth.PublicKey(), TargetProgram: target,
		}, client.WithValidUntil(now+604800), client.WithClusterTime(now)))
	}
	withPayer := func() *instruction {
		return edit(t)(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
			SessionSigner: signer.PublicKey(), Payer: stranger.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
		}))
	}
	v2 := func() *instruction {
		return edit(t)(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
			SessionSigner: signer.PublicKey(), FeePayer: stranger.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
		}))
	}
	disc := discriminator(client.CreateSession)
	unknown := sha256.Sum256([]byte("global:close_session"))
	// Anchor's EVENT_IX_TAG, sent little-endian.
	eventTag := binary.LittleEndian.AppendUint64(nil, 0x1d9acb512ea545e4)
	otherSigner := newKey(t).PublicKey()
	wallet := stranger.PublicKey()

	type signers []solana.PrivateKey
	tests := []struct {
		name     string
		ix       *instruction
		payer    solana.PrivateKey
		signers  signers
		system   bool // raised by the System program (inside the token's init)
		code     uint32
		sentinel error
	}{
		{name: "no instruction data", ix: v1(authority).setData(nil), code: 101, sentinel: client.ErrInstructionFallbackNotFound},
		{name: "data shorter than a discriminator", ix: v1(authority).setData(disc[:7]), code: 101, sentinel: client.ErrInstructionFallbackNotFound},
		{name: "unknown instruction", ix: v1(authority).setData(unknown[:8]), code: 101, sentinel: client.ErrInstructionFallbackNotFound},
		{name: "Anchor event tag", ix: v1(authority).setData(eventTag[:8]), code: 1500},
		{name: "no arguments", ix: v1(authority).setData(disc), code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "pre-2025 two-argument form", ix: v1(authority).setData(cat(disc, bytesOf(t, "01 01 00"))), code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "option tag 2", ix: v1(authority).setData(cat(disc, bytesOf(t, "02 00 00"))), code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "bool 2", ix: v1(authority).setData(cat(disc, bytesOf(t, "01 02 00 00"))), code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "truncated valid_until", ix: v1(authority).setData(cat(disc, bytesOf(t, "00 01 00 00"))), code: 102, sentinel: client.ErrInstructionDidNotDeserialize},
		{name: "four accounts", ix: v1(authority).truncateAccounts(4), code: 3005},
		{name: "session signer did not sign", ix: v1(authority).setSigner(1, false), signers: signers{}, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "authority did not sign", ix: v1(authority).setSigner(2, false), payer: stranger, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "system program is a wallet", ix: v1(authority).setAccount(4, wallet), code: 3008},
		{
			name: "token address of another session signer",
			ix:   v1(authority).setAccount(0, tokenAddress(t, pda.V1, target, otherSigner, authority.PublicKey())),
			code: 2006, sentinel: client.ErrConstraintSeeds,
		},
		{
			name: "V2 token address",
			ix:   v1(authority).setAccount(0, tokenAddress(t, pda.V2, target, signer.PublicKey(), authority.PublicKey())),
			code: 2006, sentinel: client.ErrConstraintSeeds,
		},
		{name: "session signer read-only", ix: v1(authority).setWritable(1, false), code: 2000, sentinel: client.ErrConstraintMut},
		{
			name: "target program is a wallet",
			ix: v1(authority).setAccount(3, wallet).
				setAccount(0, tokenAddress(t, pda.V1, wallet, signer.PublicKey(), authority.PublicKey())),
			code: 2007, sentinel: client.ErrConstraintExecutable,
		},
		{
			name: "valid_until one second past 7 days",
			ix:   v1(authority).setData(cat(disc, bytesOf(t, "00 01"), le64(now+604801), bytesOf(t, "00"))),
			code: 6000, sentinel: client.ErrValidityTooLong,
		},
		{name: "authority cannot pay the rent", ix: v1(poor), payer: stranger, signers: signers{signer, poor}, system: true, code: 1, sentinel: client.ErrInsufficientFunds},
		{name: "with_payer: payer did not sign", ix: withPayer().setSigner(2, false), payer: authority, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "with_payer: authority did not sign", ix: withPayer().setSigner(3, false), payer: stranger, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "v2: fee payer did not sign", ix: v2().setSigner(2, false), payer: authority, code: 3010, sentinel: client.ErrAccountNotSigner},
		{name: "v2: authority did not sign", ix: v2().setSigner(3, false), payer: stranger, code: 3010, sentinel: client.ErrAccountNotSigner},
		{
			name:  "v2: V1 token address",
			ix:    v2().setAccount(0, tokenAddress(t, pda.V1, target, signer.PublicKey(), authority.PublicKey())),
			payer: stranger, code: 2006, sentinel: client.ErrConstraintSeeds,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			payer := tc.payer
			if payer == nil {
				payer = authority
			}
			list := tc.signers
			if list == nil {
				list = signers{signer, authority, stranger}
			}
			ix := tc.ix.build()
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
			program := sessionID
			if tc.system {
				program = solana.SystemProgramID
			}
			_, err := e.simulate(payer, ixs(ix), keys...)
			requireProgramError(t, err, program, tc.code, tc.sentinel)
		})
	}
}

// A payer the instruction marks read-only cannot fund the token: the System program
// CPI needs it writable, and the runtime refuses to escalate the privilege.
func TestCreateReadOnlyPayer(t *testing.T) {
	e := setup(t)
	authority, stranger := e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	signer := newKey(t)
	ix := edit(t)(client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: sessionID,
	})).setWritable(2, false).build()
	_, err := e.simulate(stranger, ixs(ix), signer, authority)
	var ie *client.InstructionError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "PrivilegeEscalation", ie.Name)
}

// Every way a revoke can be refused: account loading (3012, 3007, 3001, 3002, 3003,
// 3011, 3008, 3005), then the token's seeds, mut and has_one constraints, the
// recipient's mut, and for V2 the authority rule.
func TestRevokeErrors(t *testing.T) {
	e := setup(t)
	e.freezeClock()
	authority, feePayer, stranger := e.wallet(1_000_000_000), e.wallet(1_000_000_000), e.wallet(1_000_000_000)
	tokenV1 := e.createV1(authority, newKey(t), sessionID)
	tokenV2 := e.createV2(feePayer, authority, newKey(t), sessionID)
	neverCreated := tokenAddress(t, pda.V1, sessionID, newKey(t).PublicKey(), authority.PublicKey())
	v1 := func(token, auth solana.PublicKey) *instruction {
		return edit(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token, Authority: auth}))
	}
	v2 := func(token, payer, auth solana.PublicKey) *instruction {
		return edit(t)(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: token, FeePayer: payer, Authority: auth}))
	}
	a, f := authority.PublicKey(), feePayer.PublicKey()
	wallet := stranger.PublicKey()
	tests := []struct {
		name     string
		ix       *instruction
		code     uint32
		sentinel error
	}{
		{name: "token never created", ix: v1(neverCreated, a), code: 3012, sentinel: client.ErrAccountNotInitialized},
		{name: "token is a wallet", ix: v1(wallet, a), code: 3007, sentinel: client.ErrAccountOwnedByWrongProgram},
		{name: "token data without a discriminator", ix: v1(fixtures.noDiscriminator, a), code: 3001},
		{name: "V2 token", ix: v1(tokenV2, a), code: 3002, sentinel: client.ErrAccountDiscriminatorMismatch},
		{name: "V1 token one byte short", ix: v1(fixtures.shortV1, fixtures.forgedAuthority), code: 3003},
		{name: "authority not System-owned", ix: v1(tokenV1, sessionID), code: 3011, sentinel: client.ErrAccountNotSystemOwned},
		{name: "system program is a wallet", ix: v1(tokenV1, a).setAccount(2, wallet), code: 3008},
		{name: "two accounts", ix: v1(tokenV1, a).truncateAccounts(2), code: 3005},
		{name: "token not at its PDA", ix: v1(fixtures.forgedV1, fixtures.forgedAuthority), code: 2006, sentinel: client.ErrConstraintSeeds},
		{name: "token read-only", ix: v1(tokenV1, a).setWritable(0, false), code: 2000, sentinel: client.ErrConstraintMut},
		{name: "another authority", ix: v1(tokenV1, wallet), code: 2001, sentinel: client.ErrConstraintHasOne},
		{name: "authority read-only", ix: v1(tokenV1, a).setWritable(1, false), code: 2000, sentinel: client.ErrConstraintMut},
		{name: "v2: V1 token", ix: v2(tokenV1, f, a), code: 3002, sentinel: client.ErrAccountDiscriminatorMismatch},
		{name: "v2: token one byte short", ix: v2(fixtures.shortV2, fixtures.forgedFeePayer, fixtures.forgedAuthority).setSigner(2, false), code: 3003},
		{name: "v2: fee payer not System-owned", ix: v2(tokenV2, sessionID, a), code: 3011, sentinel: client.ErrAccountNotSystemOwned},
		{name: "v2: authority not System-owned", ix: v2(tokenV2, f, sessionID).setSigner(2, false), code: 3011, sentinel: client.ErrAccountNotSystemOwned},
		{name: "v2: token not at its PDA", ix: v2(fixtures.forgedV2, fixtures.forgedFeePayer, fixtures.forgedAuthority).setSigner(2, false), code: 2006, sentinel: client.ErrConstraintSeeds},
		{name: "v2: another fee payer", ix: v2(tokenV2, wallet, a), code: 2001, sentinel: client.ErrConstraintHasOne},
		{name: "v2: another authority", ix: v2(tokenV2, f, wallet), code: 2001, sentinel: client.ErrConstraintHasOne},
		{name: "v2: fee payer read-only", ix: v2(tokenV2, f, a).setWritable(1, false), code: 2000, sentinel: client.ErrConstraintMut},
		{name: "v2: active token, authority did not sign", ix: v2(tokenV2, f, a).setSigner(2, false), code: 6003, sentinel: client.ErrInvalidAuthority},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			ix := tc.ix.build()
			var signers []solana.PrivateKey
			for _, m := range ix.Accounts() {
				if m.IsSigner && m.PublicKey == a {
					signers = append(signers, authority)
				}
			}
			_, err := e.simulate(stranger, ixs(ix), signers...)
			requireProgramError(t, err, sessionID, tc.code, tc.sentinel)
		})
	}
}
