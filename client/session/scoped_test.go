package session

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	spltoken "github.com/gagliardetto/solana-go/programs/token"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

func amount(n uint64) *grant.Amount { a := grant.Amount(n); return &a }

// withGrant gives an offline test session the bounds of g, completed for it.
func withGrant(t testing.TB, s *Session, g grant.Grant, store tokenstore.Reserver) {
	t.Helper()
	g.Signer, g.TargetProgram = s.signer, s.target
	c, err := g.Canonical()
	require.NoError(t, err)
	s.bounds, err = newBounds(c, s.token, s.signer, s.target, store, nil)
	require.NoError(t, err)
}

func requireBound(t testing.TB, err error, bound string, limit, used, requested uint64) {
	t.Helper()
	require.ErrorIs(t, err, ErrBound)
	var be *BoundError
	require.True(t, errors.As(err, &be), "%T: %v", err, err)
	require.Equal(t, bound, be.Bound, "%v", err)
	require.Equal(t, [3]uint64{limit, used, requested}, [3]uint64{be.Limit, be.Used, be.Requested}, "%v", err)
}

func blockhashOf(i int) solana.Hash {
	var h solana.Hash
	binary.LittleEndian.PutUint64(h[:], uint64(i)+1)
	return h
}

// Rate and valid-after are judged before signing, by the local monotonic clock and the
// cluster clock.
func TestScopedRateAndValidAfter(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, 0)
	s := testSession(t, m, 1_000_000)
	withGrant(t, s, grant.Grant{Rate: &grant.Rate{Count: 2, Interval: time.Hour}, ValidAfter: 2_000}, nil)
	player := solana.NewWallet().PublicKey()
	ctx := t.Context()

	_, err := s.Wrap(ctx, blockhashOf(0), []solana.Instruction{moveIx(s, player)}, MoveParams{})
	requireBound(t, err, BoundValidAfter, 2_000, 1_000, 0)
	require.ErrorContains(t, err, "valid-after 2000, cluster time 1000")

	fc.unix.Store(2_000)
	for i := range 2 {
		_, err := s.Wrap(ctx, blockhashOf(i), []solana.Instruction{moveIx(s, player)}, MoveParams{})
		require.NoError(t, err)
	}
	_, err = s.Wrap(ctx, blockhashOf(3), []solana.Instruction{moveIx(s, player)}, MoveParams{})
	requireBound(t, err, BoundRate, 2, 2, 1)
	require.ErrorContains(t, err, "rate 2 per 1h0m0s")

	// An interval later the window has room again.
	s2 := testSession(t, m, 1_000_000)
	withGrant(t, s2, grant.Grant{Rate: &grant.Rate{Count: 1, Interval: 50 * time.Millisecond}}, nil)
	_, err = s2.Wrap(ctx, blockhashOf(0), []solana.Instruction{moveIx(s2, player)}, MoveParams{})
	require.NoError(t, err)
	_, err = s2.Wrap(ctx, blockhashOf(1), []solana.Instruction{moveIx(s2, player)}, MoveParams{})
	requireBound(t, err, BoundRate, 1, 1, 1)
	time.Sleep(60 * time.Millisecond)
	_, err = s2.Wrap(ctx, blockhashOf(2), []solana.Instruction{moveIx(s2, player)}, MoveParams{})
	require.NoError(t, err)
}

// Token spend is judged from hand-built messages: the signer's associated token account
// of the granted mint, per transaction by the guard and in total by the session; any
// other account of the signer's is refused.
func TestScopedTokenSpend(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	s := testSession(t, m, 1_000_000)
	gold := solana.NewWallet().PublicKey()
	withGrant(t, s, grant.Grant{Tokens: []grant.TokenLimit{{Mint: gold, Limit: grant.Limit{PerTransaction: amount(5), Total: amount(12)}}}}, nil)
	s.AllowPrograms(spl.TokenProgramID)
	ata, err := spl.AssociatedTokenAddress(s.signer, gold, spl.Token2022ProgramID)
	require.NoError(t, err)
	treasury := solana.NewWallet().PublicKey()
	pay := func(n uint64, from solana.PublicKey, program solana.PublicKey) solana.Instruction {
		ix := spltoken.NewTransferCheckedInstruction(n, 6, from, gold, treasury, s.signer, nil).Build()
		data, err := ix.Data()
		require.NoError(t, err)
		return solana.NewInstruction(program, ix.Accounts(), data)
	}
	ctx := t.Context()
	wrap := func(i int, ixs ...solana.Instruction) error {
		_, err := s.Wrap(ctx, blockhashOf(i), ixs, MoveParams{})
		return err
	}
	require.NoError(t, wrap(0, pay(5, ata, spl.Token2022ProgramID)))
	err = wrap(1, pay(6, ata, spl.Token2022ProgramID))
	require.ErrorIs(t, err, guard.ErrSpendLimit)
	require.ErrorContains(t, err, "6 over the limit 5")
	require.NoError(t, wrap(2, pay(5, ata, spl.Token2022ProgramID)))
	requireBound(t, wrap(3, pay(3, ata, spl.Token2022ProgramID)), BoundToken, 12, 10, 3)
	require.NoError(t, wrap(4, pay(2, ata, spl.Token2022ProgramID)))
	require.Equal(t, uint64(12), s.Grant().Used["token-0"])

	other := solana.NewWallet().PublicKey()
	err = wrap(5, pay(1, other, spl.Token2022ProgramID))
	require.ErrorIs(t, err, guard.ErrTokenAccount)
	require.ErrorContains(t, err, other.String())
}

// A grant's counters live in the store: a restarted process starts from what was
// reserved, forfeiting the rest of a block cut short by a crash, and never signs past
// the count.
func TestScopedMaxUsesAcrossRestart(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	st := tokenstore.NewMemory()
	m.reserver = st
	s := testSession(t, m, 1_000_000)
	withGrant(t, s, grant.Grant{MaxUses: 70}, st)
	player := solana.NewWallet().PublicKey()
	ctx := t.Context()
	_, err := s.Wrap(ctx, blockhashOf(0), []solana.Instruction{moveIx(s, player)}, MoveParams{})
	require.ErrorIs(t, err, tokenstore.ErrNotFound, "no record to count in: refused, not counted in memory")
	require.ErrorContains(t, err, "save the session")
	require.NoError(t, StorePersister(st, pda.MagicBlockProgramID).Save(ctx, s.Snapshot()))

	for i := range 10 {
		_, err := s.Wrap(ctx, blockhashOf(i), []solana.Instruction{moveIx(s, player)}, MoveParams{})
		require.NoError(t, err)
	}
	reserved, err := st.Reserve(ctx, s.token, "uses", 0)
	require.NoError(t, err)
	require.Equal(t, uint64(usesBlock), reserved, "one block, reserved before the first move")

	// The process dies mid-block; the next one resumes the session from the store.
	snaps, err := StorePersister(st, pda.MagicBlockProgramID).Load(ctx)
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	require.NotNil(t, snaps[0].Grant)
	s2 := testSession(t, m, 1_000_000)
	s2.token, s2.signer, s2.target, s2.key = s.token, s.signer, s.target, s.key
	s2.bounds, err = newBounds(snaps[0].Grant, s.token, s.signer, s.target, st, nil)
	require.NoError(t, err)
	for i := range 70 - usesBlock {
		_, err := s2.Wrap(ctx, blockhashOf(100+i), []solana.Instruction{moveIx(s2, player)}, MoveParams{})
		require.NoError(t, err, "move %d after the restart", i)
	}
	_, err = s2.Wrap(ctx, blockhashOf(200), []solana.Instruction{moveIx(s2, player)}, MoveParams{})
	requireBound(t, err, BoundMaxUses, 70, 70, 1)
	reserved, err = st.Reserve(ctx, s.token, "uses", 0)
	require.NoError(t, err)
	require.Equal(t, uint64(70), reserved, "the second block was cut to the count")
	// 10 + 6 moves signed in all: the crash forfeited 54, and nothing was signed twice.
}

// The whole path on the embedded runtime: a grant in a direct create puts its hash in a
// memo the authority signed; the stored grant checks against it, and a tampered one is
// caught; moves are bounded by its instructions, SOL per transaction and in total, and
// the use count in a Dir store survives a new Manager.
func TestScopedOnChain(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	dir := filepath.Join(t.TempDir(), "store")
	st, err := tokenstore.Create(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	defer st.Close()
	m := NewManager(e.rpc, e.snd, WithProgramID(e.m.ProgramID()), WithStore(st))
	persister := StorePersister(st, e.m.ProgramID())

	g := grant.Grant{
		TargetProgram: gameID,
		Native:        &grant.Limit{PerTransaction: amount(1_000), Total: amount(2_500)},
		Instructions:  []string{"move_player"},
		MaxUses:       5,
	}
	s, err := m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour, Grant: &g})
	require.NoError(t, err)
	require.True(t, g.Signer.IsZero(), "the caller's grant is not written to")
	status := s.Grant()
	require.NotNil(t, status)
	require.Equal(t, s.SessionSigner(), status.Grant.Signer)
	require.Equal(t, s.ValidUntil(), status.Grant.Expiry)
	require.NoError(t, persister.Save(e.ctx, s.Snapshot()))

	// The memo: the create transaction carries the hash, signed by the authority.
	check, err := m.CheckGrant(e.ctx, CheckGrantParams{Token: s.Token(), Authority: authority.PublicKey(), Grant: status.Canonical, CreateSignature: s.CreateSignature()})
	require.NoError(t, err)
	require.True(t, check.Match())
	require.Equal(t, status.Hash, check.OnChain)
	// The stored copy, edited: caught.
	stored, err := st.Attachment(e.ctx, s.Token(), tokenstore.AttachmentGrant)
	require.NoError(t, err)
	require.Equal(t, status.Canonical, stored)
	forged := []byte(strings.Replace(string(stored), `"total":"2500"`, `"total":"9000"`, 1))
	require.NotEqual(t, stored, forged)
	check, err = m.CheckGrant(e.ctx, CheckGrantParams{Token: s.Token(), Authority: authority.PublicKey(), Grant: forged, CreateSignature: s.CreateSignature()})
	require.ErrorIs(t, err, ErrGrantTampered)
	require.False(t, check.Match())
	require.Equal(t, status.Hash, check.OnChain)

	other := e.funded(1_000_000).PublicKey() // rent-exempt already: small transfers may land
	transfer := func(n uint64) solana.Instruction {
		return system.NewTransferInstruction(n, s.SessionSigner(), other).Build()
	}
	move := func(d examplegame.Direction) solana.Instruction {
		return e.game.Move(player, s.SessionSigner(), s.Token(), d)
	}
	// Allowed instructions: init_player is the game's too, but not granted.
	initIx, err := e.game.InitPlayer(s.SessionSigner())
	require.NoError(t, err)
	initIx = solana.NewInstruction(gameID, append(initIx.Accounts(), solana.Meta(s.Token())), mustData(t, initIx))
	_, err = s.Send(e.ctx, []solana.Instruction{initIx})
	require.ErrorIs(t, err, guard.ErrInstructionNotAllowed)

	_, err = s.Send(e.ctx, []solana.Instruction{move(examplegame.Up), transfer(1_000)})
	require.NoError(t, err)
	_, err = s.Send(e.ctx, []solana.Instruction{move(examplegame.Up), transfer(1_001)})
	require.ErrorIs(t, err, guard.ErrSpendLimit)
	require.ErrorContains(t, err, "1001 lamports over the limit 1000")
	_, err = s.Send(e.ctx, []solana.Instruction{move(examplegame.Up), transfer(1_000)})
	require.NoError(t, err)
	_, err = s.Send(e.ctx, []solana.Instruction{move(examplegame.Up), transfer(600)})
	requireBound(t, err, BoundNative, 2_500, 2_000, 600)
	require.Equal(t, uint64(1_000_000+2_000), e.balance(other), "what landed is exactly what the bounds let through")
	require.Equal(t, int64(2), e.playerState(player).Y)

	// Uses: 2 moves so far of 5. A new Manager (a restarted backend) resumes from the store.
	m2 := NewManager(e.rpc, e.snd, WithProgramID(e.m.ProgramID()), WithStore(st))
	snaps, err := persister.Load(e.ctx)
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	s2, err := m2.Resume(e.ctx, snaps[0])
	require.NoError(t, err)
	_, err = s2.Send(e.ctx, []solana.Instruction{move(examplegame.Down)})
	requireBound(t, err, BoundMaxUses, 5, 5, 1)
	require.Equal(t, uint64(5), s2.Grant().Used["uses"], "the first process's block is forfeited")

	// A stored grant file edited on disk is refused by the store itself.
	path := filepath.Join(dir, "sessions", s.Token().String()+".grant.att")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	raw[60] ^= 1
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	_, err = persister.Load(e.ctx)
	var le *LoadError
	require.ErrorAs(t, err, &le)
	var ce *tokenstore.CorruptError
	require.ErrorAs(t, err, &ce)
}

// A wallet-signed create carries the memo too, and the check finds the create
// transaction by itself (the oldest naming the token).
func TestScopedWalletCreate(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	g := grant.Grant{TargetProgram: gameID, MaxUses: 3}
	pending, err := e.m.PrepareCreate(e.ctx, authority.PublicKey(), CreateParams{Kind: KindV2, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour, Grant: &g})
	require.NoError(t, err)
	tx := pending.Transaction()
	memos := 0
	for _, ix := range tx.Message.Instructions {
		if tx.Message.AccountKeys[ix.ProgramIDIndex] == spl.MemoProgramID {
			memos++
			h, ok := grant.ParseMemo(ix.Data)
			require.True(t, ok)
			require.Equal(t, pending.Session().Grant().Hash, h)
		}
	}
	require.Equal(t, 1, memos)
	_, err = e.m.SubmitSigned(e.ctx, pending, walletSign(t, pending.Bytes(), authority))
	require.NoError(t, err)
	s := pending.Session()
	status := s.Grant()
	check, err := e.m.CheckGrant(e.ctx, CheckGrantParams{Token: s.Token(), Authority: authority.PublicKey(), Grant: status.Canonical})
	require.NoError(t, err)
	require.True(t, check.Match())
}

// Spend through the target program's CPI is invisible to the static guard: init_player
// makes the game create an account paid by its owner, here the session signer. A limit
// with "simulate" counts it from a simulation of the move; without, it passes.
func TestScopedSimulatedSpend(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	create := func(l grant.Limit) *Session {
		s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 10_000_000, ValidFor: time.Hour,
			Grant: &grant.Grant{TargetProgram: gameID, Native: &l}})
		require.NoError(t, err)
		return s
	}
	initAsSigner := func(s *Session) solana.Instruction {
		ix, err := e.game.InitPlayer(s.SessionSigner())
		require.NoError(t, err)
		return solana.NewInstruction(gameID, append(ix.Accounts(), solana.Meta(s.Token())), mustData(t, ix))
	}

	static := create(grant.Limit{PerTransaction: amount(0)})
	_, err := static.Send(e.ctx, []solana.Instruction{initAsSigner(static)})
	require.NoError(t, err, "the static guard sees no System instruction of the signer's")

	s := create(grant.Limit{PerTransaction: amount(e.rentPlayer - 1), Simulate: true})
	_, err = s.Send(e.ctx, []solana.Instruction{initAsSigner(s)})
	require.ErrorIs(t, err, guard.ErrSpendLimit)
	require.ErrorContains(t, err, "(simulated)")

	s = create(grant.Limit{Total: amount(e.rentPlayer), Simulate: true})
	_, err = s.Send(e.ctx, []solana.Instruction{initAsSigner(s)})
	require.NoError(t, err)
	require.Equal(t, e.rentPlayer, s.Grant().Used["lamports"], "the player account's rent, paid by CPI")
	player, err := e.game.Player(s.SessionSigner())
	require.NoError(t, err)
	require.True(t, e.exists(player))
}

func mustData(t testing.TB, ix solana.Instruction) []byte {
	t.Helper()
	d, err := ix.Data()
	require.NoError(t, err)
	return d
}

// The grant's compute caps bind with the Manager's, the tighter one winning.
func TestScopedComputeCaps(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	m.unitPriceCap = 50
	s := testSession(t, m, 1_000_000)
	withGrant(t, s, grant.Grant{Compute: &grant.Compute{MaxUnitLimit: 300_000, MaxUnitPrice: 100}}, nil)
	player := solana.NewWallet().PublicKey()
	price := func(n uint64) solana.Instruction {
		return solana.NewInstruction(guard.ComputeBudgetProgramID, nil, binary.LittleEndian.AppendUint64([]byte{3}, n))
	}
	limit := func(n uint32) solana.Instruction {
		return solana.NewInstruction(guard.ComputeBudgetProgramID, nil, binary.LittleEndian.AppendUint32([]byte{2}, n))
	}
	wrap := func(i int, ixs ...solana.Instruction) error {
		_, err := s.Wrap(t.Context(), blockhashOf(i), append(ixs, moveIx(s, player)), MoveParams{})
		return err
	}
	require.NoError(t, wrap(0, price(50), limit(300_000)))
	err := wrap(1, price(51))
	require.ErrorIs(t, err, guard.ErrComputeBudget, "the Manager's cap of 50 is tighter than the grant's 100")
	require.ErrorContains(t, err, "unit price 51 micro-lamports over the cap 50")
	err = wrap(2, limit(300_001))
	require.ErrorIs(t, err, guard.ErrComputeBudget)
	require.ErrorContains(t, err, "unit limit 300001 over the cap 300000")
}

// A renewal keeps the session's bounds: the new token's create carries the same grant
// (for the new signer and expiry) in its memo.
func TestScopedRenewKeepsGrant(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour,
		Grant: &grant.Grant{TargetProgram: gameID, MaxUses: 7, Instructions: []string{"move_player"}}})
	require.NoError(t, err)
	next, err := e.m.Renew(e.ctx, s, authority, RenewParams{TopUp: 1_000_000, ValidFor: 2 * time.Hour, RevokeOld: true})
	require.NoError(t, err)
	g := next.Grant()
	require.NotNil(t, g, "the renewed session is bounded too")
	require.Equal(t, uint64(7), g.Grant.MaxUses)
	require.Equal(t, []string{"move_player"}, g.Grant.Instructions)
	require.Equal(t, next.SessionSigner(), g.Grant.Signer)
	require.Equal(t, next.ValidUntil(), g.Grant.Expiry)
	check, err := e.m.CheckGrant(e.ctx, CheckGrantParams{Token: next.Token(), Authority: authority.PublicKey(), Grant: g.Canonical, CreateSignature: next.CreateSignature()})
	require.NoError(t, err)
	require.True(t, check.Match())
}

// The environment of the process TestScopedUsesSurviveAKill kills.
const envScopedHelper = "SESSIONKIT_SESSION_SCOPED_HELPER"

// scopedUses is the grant's max-uses in TestScopedUsesSurviveAKill: one block of 64 and 2.
const scopedUses = usesBlock + 2

// A backend process creates a session with a grant of 66 moves, stores it in a Dir
// through the pool, plays 3 moves and is killed mid-block. The next process restores
// the pool from the store: the 61 moves left in the dead process's block are forfeited,
// the 2 after it are signed, and the 67th move overall is refused before signing.
func TestScopedUsesSurviveAKill(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	dir := t.TempDir()
	st, err := tokenstore.Create(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	require.NoError(t, st.Close())

	cmd := exec.CommandContext(e.ctx, os.Args[0], "-test.run=^TestScopedKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envScopedHelper+"=1", envRPC+"="+e.net.RPCURL(), envWS+"="+e.net.WSURL(),
		envStore+"="+dir, envAuthority+"="+hex.EncodeToString(authority), envGame+"="+gameID.String())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the first process is killed:\n%s", out)
	require.Equal(t, 9, exit.ExitCode(), "%s", out)

	st2, err := tokenstore.Open(e.ctx, dir, tokenstore.MasterKey(storeKey))
	require.NoError(t, err)
	defer st2.Close()
	m := NewManager(e.rpc, e.snd, WithProgramID(e.m.ProgramID()), WithStore(st2))
	pool := NewPool(m, PoolConfig{Persister: StorePersister(st2, m.ProgramID()), Interval: -1})
	defer pool.Close()
	n, err := pool.Restore(e.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	sess, ok := pool.Get(authority.PublicKey(), gameID)
	require.True(t, ok)
	require.Equal(t, uint64(scopedUses), sess.Grant().Grant.MaxUses)
	for range scopedUses - usesBlock {
		_, err := sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Left)})
		require.NoError(t, err)
	}
	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Left)})
	requireBound(t, err, BoundMaxUses, scopedUses, scopedUses, 1)
	require.Equal(t, uint64(3+scopedUses-usesBlock), e.playerState(player).Moves, "3 before the kill, 2 after; none twice")
}

// TestScopedKillHelper is the killed process of TestScopedUsesSurviveAKill.
func TestScopedKillHelper(t *testing.T) {
	if os.Getenv(envScopedHelper) != "1" {
		t.Skip("runs only as the first process of TestScopedUsesSurviveAKill")
	}
	if err := scopedKillHelper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(9) // killed mid-block: nothing deferred runs, nothing is handed back
}

func scopedKillHelper() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	authority, err := hex.DecodeString(os.Getenv(envAuthority))
	if err != nil {
		return err
	}
	game := examplegame.Game{ID: solana.MustPublicKeyFromBase58(os.Getenv(envGame))}
	client := rpc.New(os.Getenv(envRPC))
	snd, err := sender.New(client, sender.WithWebSocket(os.Getenv(envWS)))
	if err != nil {
		return err
	}
	st, err := tokenstore.Open(ctx, os.Getenv(envStore), tokenstore.MasterKey(storeKey))
	if err != nil {
		return err
	}
	m := NewManager(client, snd, WithStore(st))
	pool := NewPool(m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Interval: -1})
	sess, err := m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: game.ID, TopUp: 2_000_000, ValidFor: time.Hour,
		Grant: &grant.Grant{TargetProgram: game.ID, MaxUses: scopedUses}})
	if err != nil {
		return err
	}
	if _, err := pool.Put(ctx, sess); err != nil {
		return err
	}
	player, err := game.Player(solana.PrivateKey(authority).PublicKey())
	if err != nil {
		return err
	}
	for range 3 {
		if _, err := sess.Send(ctx, []solana.Instruction{game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}); err != nil {
			return err
		}
	}
	return nil
}

// With the target's IDL, a grant's instruction names resolve through it, and a name the
// program lacks is refused at create instead of never matching.
func TestScopedInstructionNamesThroughIDL(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_700_000_000)
	m := offlineManager(fc, time.Hour)
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	target := solana.NewWallet().PublicKey()
	WithIDL(target, idl)(m)
	authority := solana.NewWallet().PublicKey()
	create := func(names ...string) (*createPlan, error) {
		return m.planCreate(t.Context(), authority, CreateParams{Kind: KindV1, TargetProgram: target, TopUp: 1,
			Grant: &grant.Grant{TargetProgram: target, Instructions: names}})
	}
	_, err = create("move_player", "buy_itme")
	require.ErrorIs(t, err, ErrBadParams)
	require.ErrorContains(t, err, `"buy_itme"`)
	plan, err := create("move_player")
	require.NoError(t, err)
	require.Equal(t, []guard.Discriminator{guard.Discriminator(idl.Instructions[1].Discriminator)}, plan.session.policy().Instructions)
	require.Equal(t, "move_player", idl.Instructions[1].Name)
	require.Equal(t, 2, len(plan.instructions()), "the create and its memo")
}

// A grant's unit-limit cap below the runtime's ceiling still lets Send play: each move
// asks for exactly the cap (its salt moves to the loaded-data limit), lands, and two
// identical moves stay distinct.
func TestScopedComputeCapSends(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour,
		Grant: &grant.Grant{TargetProgram: gameID, Compute: &grant.Compute{MaxUnitLimit: 150_000}}})
	require.NoError(t, err)
	for range 2 {
		res, err := s.Send(e.ctx, []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)})
		require.NoError(t, err)
		require.Equal(t, uint32(150_000), res.Fees.UnitLimit, "the move asks for the grant's cap")
	}
	require.Equal(t, uint64(2), e.playerState(player).Moves)
}
