package gplsession_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/programtest"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

var updateBenchmarks = flag.Bool("update-benchmarks", false, "rewrite the compute-unit table in docs/benchmarks.md")

// The table lives between these markers in docs/benchmarks.md, so the generated numbers
// and the prose around them stay in one file.
const (
	benchBegin = "<!-- compute-units:begin -->\n"
	benchEnd   = "<!-- compute-units:end -->"
)

// keyWithCanonicalBump returns a fresh key k for which bump(k) is 255, so that a
// measurement does not depend on how many candidates a PDA search tries (each extra one
// costs 1,500 CU).
func keyWithCanonicalBump(t *testing.T, bump func(solana.PublicKey) uint8) solana.PrivateKey {
	t.Helper()
	for {
		k := programtest.NewKey(t)
		if bump(k.PublicKey()) == 255 {
			return k
		}
	}
}

type measurement struct {
	program, instruction, path string
	units                      uint64
}

// Compute units of every instruction on its main paths, with every PDA at bump 255.
func TestComputeUnits(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionWithPayer)
	localnettest.RequireSessionInstruction(t, e.Net, client.RevokeSessionV2)
	g := e.Game()
	now := e.FreezeClock()
	var rows []measurement
	record := func(program, instruction, path string, units uint64) {
		require.NotZero(t, units)
		rows = append(rows, measurement{program, instruction, path, units})
	}
	tokenBump := func(v pda.Version, authority solana.PublicKey) func(solana.PublicKey) uint8 {
		return func(signer solana.PublicKey) uint8 {
			_, bump, err := pda.Find(v, programtest.SessionID, g.ID, signer, authority)
			require.NoError(t, err)
			return bump
		}
	}

	owner := keyWithCanonicalBump(t, func(k solana.PublicKey) uint8 {
		_, bump, err := solana.FindProgramAddress([][]byte{[]byte("player"), k[:]}, g.ID)
		require.NoError(t, err)
		return bump
	})
	require.NoError(t, e.Net.Fund(e.Ctx, owner.PublicKey(), 1_000_000_000))
	sponsor := e.Wallet(1_000_000_000)
	o := owner.PublicKey()

	record("example_game", "init_player", "new player", e.Send(owner, programtest.Ixs(e.Must(g.InitPlayer(o)))).Units)
	player, err := g.Player(o)
	require.NoError(t, err)
	record("example_game", "move_player", "owner, no session", e.Send(owner, programtest.Ixs(g.MoveAsOwner(player, o, examplegame.Up))).Units)

	s1 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	create := func(s solana.PrivateKey, args client.CreateArgs) solana.Instruction {
		return e.Must(client.NewCreateSession(client.CreateSessionAccounts{SessionSigner: s.PublicKey(), Authority: o, TargetProgram: g.ID}, args))
	}
	record("gpl_session", "create_session", "defaults (no top-up)", e.Send(owner, programtest.Ixs(create(s1, client.CreateArgs{})), s1).Units)
	token1 := programtest.TokenAddress(t, pda.V1, g.ID, s1.PublicKey(), o)
	record("example_game", "move_player", "V1 session", e.Send(owner, programtest.Ixs(g.Move(player, s1.PublicKey(), token1, examplegame.Right)), s1).Units)

	s2 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	record("gpl_session", "create_session", "top-up, explicit valid_until",
		e.Send(owner, programtest.Ixs(create(s2, client.CreateArgs{TopUp: new(true), ValidFor: 3600e9, ClusterTime: now})), s2).Units)

	s3 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	withPayer := e.Must(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
		SessionSigner: s3.PublicKey(), Payer: sponsor.PublicKey(), Authority: o, TargetProgram: g.ID,
	}, client.CreateArgs{TopUp: new(true)}))
	record("gpl_session", "create_session_with_payer", "top-up", e.Send(sponsor, programtest.Ixs(withPayer), s3, owner).Units)

	s4 := keyWithCanonicalBump(t, tokenBump(pda.V2, o))
	v2 := e.Must(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: s4.PublicKey(), FeePayer: sponsor.PublicKey(), Authority: o, TargetProgram: g.ID,
	}, client.CreateArgs{TopUp: new(true)}))
	record("gpl_session", "create_session_v2", "top-up", e.Send(sponsor, programtest.Ixs(v2), s4, owner).Units)
	token4 := programtest.TokenAddress(t, pda.V2, g.ID, s4.PublicKey(), o)
	record("example_game", "move_player", "V2 session", e.Send(s4, programtest.Ixs(g.Move(player, s4.PublicKey(), token4, examplegame.Left))).Units)

	revokeV1 := e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token1, Authority: o}, client.RevokeArgs{}))
	record("gpl_session", "revoke_session", "by anyone", e.Send(sponsor, programtest.Ixs(revokeV1)).Units)
	revokeV2 := e.Must(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: token4, FeePayer: sponsor.PublicKey(), Authority: o}, client.RevokeArgs{}))
	record("gpl_session", "revoke_session_v2", "active, authority signs", e.Send(sponsor, programtest.Ixs(revokeV2), owner).Units)

	s5 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	tooLong := e.Edit(create(s5, client.CreateArgs{}), nil).SetData(slices.Concat(discriminator(client.CreateSession), bytesOf(t, "00 01"), le64(now+604801), bytesOf(t, "00"))).Build()
	units, err := e.Simulate(owner, programtest.Ixs(tooLong), s5)
	programtest.RequireProgramError(t, err, programtest.SessionID, 6000, client.ErrValidityTooLong)
	record("gpl_session", "create_session", "error 6000 ValidityTooLong", units)
	units, err = e.Simulate(sponsor, programtest.Ixs(revokeV1))
	programtest.RequireProgramError(t, err, programtest.SessionID, 3012, txn.ErrAccountNotInitialized)
	record("gpl_session", "revoke_session", "error 3012 (already revoked)", units)

	s6 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	e.Send(owner, programtest.Ixs(create(s6, client.CreateArgs{ValidUntil: new(int64(now + 10)), ClusterTime: now})), s6)
	e.SetClock(now + 10)
	token6 := programtest.TokenAddress(t, pda.V1, g.ID, s6.PublicKey(), o)
	units, err = e.Simulate(owner, programtest.Ixs(g.Move(player, s6.PublicKey(), token6, examplegame.Up)), s6)
	programtest.RequireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
	record("example_game", "move_player", "error 6001 (expired token)", units)

	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].program != rows[j].program {
			return rows[i].program > rows[j].program
		}
		return rows[i].instruction < rows[j].instruction
	})
	var b strings.Builder
	b.WriteString("| program | instruction | path | compute units |\n|---|---|---|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %d |\n", r.program, r.instruction, r.path, r.units)
	}
	t.Log("\n" + b.String())
	if *updateBenchmarks {
		const path = "../../docs/benchmarks.md"
		doc, err := os.ReadFile(path)
		require.NoError(t, err)
		before, rest, ok := strings.Cut(string(doc), benchBegin)
		require.True(t, ok, "missing %q in %s", benchBegin, path)
		_, after, ok := strings.Cut(rest, benchEnd)
		require.True(t, ok, "missing %q in %s", benchEnd, path)
		require.NoError(t, os.WriteFile(path, []byte(before+benchBegin+b.String()+benchEnd+after), 0o644))
	}
}
