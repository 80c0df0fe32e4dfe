package program_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
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
		k := newKey(t)
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
	e := setup(t)
	g := e.game()
	now := e.freezeClock()
	var rows []measurement
	record := func(program, instruction, path string, units uint64) {
		require.NotZero(t, units)
		rows = append(rows, measurement{program, instruction, path, units})
	}
	tokenBump := func(v pda.Version, authority solana.PublicKey) func(solana.PublicKey) uint8 {
		return func(signer solana.PublicKey) uint8 {
			_, bump, err := pda.Find(v, sessionID, g.ID, signer, authority)
			require.NoError(t, err)
			return bump
		}
	}

	owner := keyWithCanonicalBump(t, func(k solana.PublicKey) uint8 {
		_, bump, err := solana.FindProgramAddress([][]byte{[]byte("player"), k[:]}, g.ID)
		require.NoError(t, err)
		return bump
	})
	require.NoError(t, e.net.Fund(e.ctx, owner.PublicKey(), 1_000_000_000))
	sponsor := e.wallet(1_000_000_000)
	o := owner.PublicKey()

	record("example_game", "init_player", "new player", e.send(owner, ixs(must(t)(g.InitPlayer(o)))).units)
	player, err := g.Player(o)
	require.NoError(t, err)
	record("example_game", "move_player", "owner, no session", e.send(owner, ixs(g.MoveAsOwner(player, o, examplegame.Up))).units)

	s1 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	create := func(s solana.PrivateKey, opts ...client.Option) solana.Instruction {
		return must(t)(client.NewCreateSession(client.CreateSessionAccounts{SessionSigner: s.PublicKey(), Authority: o, TargetProgram: g.ID}, opts...))
	}
	record("gpl_session", "create_session", "defaults (no top-up)", e.send(owner, ixs(create(s1)), s1).units)
	token1 := tokenAddress(t, pda.V1, g.ID, s1.PublicKey(), o)
	record("example_game", "move_player", "V1 session", e.send(owner, ixs(g.Move(player, s1.PublicKey(), token1, examplegame.Right)), s1).units)

	s2 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	record("gpl_session", "create_session", "top-up, explicit valid_until",
		e.send(owner, ixs(create(s2, client.WithTopUp(true), client.WithValidity(3600e9), client.WithClusterTime(now))), s2).units)

	s3 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	withPayer := must(t)(client.NewCreateSessionWithPayer(client.CreateSessionWithPayerAccounts{
		SessionSigner: s3.PublicKey(), Payer: sponsor.PublicKey(), Authority: o, TargetProgram: g.ID,
	}, client.WithTopUp(true)))
	record("gpl_session", "create_session_with_payer", "top-up", e.send(sponsor, ixs(withPayer), s3, owner).units)

	s4 := keyWithCanonicalBump(t, tokenBump(pda.V2, o))
	v2 := must(t)(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: s4.PublicKey(), FeePayer: sponsor.PublicKey(), Authority: o, TargetProgram: g.ID,
	}, client.WithTopUp(true)))
	record("gpl_session", "create_session_v2", "top-up", e.send(sponsor, ixs(v2), s4, owner).units)
	token4 := tokenAddress(t, pda.V2, g.ID, s4.PublicKey(), o)
	record("example_game", "move_player", "V2 session", e.send(s4, ixs(g.Move(player, s4.PublicKey(), token4, examplegame.Left))).units)

	revokeV1 := must(t)(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: token1, Authority: o}))
	record("gpl_session", "revoke_session", "by anyone", e.send(sponsor, ixs(revokeV1)).units)
	revokeV2 := must(t)(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: token4, FeePayer: sponsor.PublicKey(), Authority: o}))
	record("gpl_session", "revoke_session_v2", "active, authority signs", e.send(sponsor, ixs(revokeV2), owner).units)

	s5 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	tooLong := edit(t)(create(s5), nil).setData(cat(discriminator(client.CreateSession), bytesOf(t, "00 01"), le64(now+604801), bytesOf(t, "00"))).build()
	units, err := e.simulate(owner, ixs(tooLong), s5)
	requireProgramError(t, err, sessionID, 6000, client.ErrValidityTooLong)
	record("gpl_session", "create_session", "error 6000 ValidityTooLong", units)
	units, err = e.simulate(sponsor, ixs(revokeV1))
	requireProgramError(t, err, sessionID, 3012, client.ErrAccountNotInitialized)
	record("gpl_session", "revoke_session", "error 3012 (already revoked)", units)

	s6 := keyWithCanonicalBump(t, tokenBump(pda.V1, o))
	e.send(owner, ixs(create(s6, client.WithValidUntil(now+10), client.WithClusterTime(now))), s6)
	e.setClock(now + 10)
	token6 := tokenAddress(t, pda.V1, g.ID, s6.PublicKey(), o)
	units, err = e.simulate(owner, ixs(g.Move(player, s6.PublicKey(), token6, examplegame.Up)), s6)
	requireProgramError(t, err, g.ID, 6001, client.ErrInvalidToken)
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
		const path = "../docs/benchmarks.md"
		doc, err := os.ReadFile(path)
		require.NoError(t, err)
		before, rest, ok := strings.Cut(string(doc), benchBegin)
		require.True(t, ok, "missing %q in %s", benchBegin, path)
		_, after, ok := strings.Cut(rest, benchEnd)
		require.True(t, ok, "missing %q in %s", benchEnd, path)
		require.NoError(t, os.WriteFile(path, []byte(before+benchBegin+b.String()+benchEnd+after), 0o644))
	}
}
