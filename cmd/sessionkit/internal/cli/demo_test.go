package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// demoReport is the part of the demo's JSON the tests check.
type demoReport struct {
	Authority string `json:"authority"`
	Sponsor   string `json:"sponsor"`
	Session   struct {
		Instruction string `json:"instruction"`
		Version     int    `json:"version"`
		FeePayer    string `json:"feePayer"`
		TopUp       uint64 `json:"topUpLamports"`
	} `json:"session"`
	Moves struct {
		Count                  int    `json:"count"`
		SignedBySessionKeyOnly int    `json:"signedBySessionKeyOnly"`
		Fees                   uint64 `json:"feesLamports"`
		PlayerX                int64  `json:"playerX"`
		PlayerMoves            uint64 `json:"playerMoves"`
	} `json:"moves"`
	Token struct {
		Status string `json:"status"`
	} `json:"inspectedToken"`
	Revoke struct {
		Rent    uint64 `json:"rentLamports"`
		Swept   uint64 `json:"sweptLamports"`
		Fee     uint64 `json:"feeLamports"`
		SweptTo string `json:"sweptTo"`
	} `json:"revoke"`
	Balances []struct {
		Name                                         string
		Before, AfterCreate, AfterMoves, AfterRevoke uint64
	} `json:"balances"`
	Fees    struct{ Create, Moves, Revoke, Total uint64 } `json:"fees"`
	Metrics []struct {
		Name       string            `json:"name"`
		Attributes map[string]string `json:"attributes"`
		Value      int64             `json:"value"`
	} `json:"metrics"`
}

// TestDemo runs the demo on its own embedded cluster and checks its accounting: the
// moves were signed by the session key alone, and the parties lost exactly the fees.
func TestDemo(t *testing.T) {
	net := localnettest.ForTest(t)
	h := newHarness(t, nil)
	var build []string // the demo runs its own cluster: it gets the build to test by flag
	if localnettest.ForeignSessionBuild() {
		build = []string{"--session-program", os.Getenv(localnettest.EnvSessionELF)}
	}
	for _, tc := range []struct {
		name                    string
		args                    []string
		instruction             string
		createFee, revokeFee    uint64
		rent                    uint64
		sweptToSponsor, sponsor bool
	}{
		{name: "v1", args: []string{"--moves", "6", "--concurrency", "2"}, instruction: "create_session",
			createFee: 2 * sigFee, revokeFee: sigFee, rent: rentV1},
		{name: "v2-sponsored", args: []string{"--moves", "3", "--v2", "--sponsor", "--top-up", "0.001"}, instruction: "create_session_v2",
			createFee: 3 * sigFee, revokeFee: 2 * sigFee, rent: rentV2, sponsor: true, sweptToSponsor: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			localnettest.RequireSessionInstruction(t, net, kindNamed(t, tc.instruction))
			if tc.sponsor && !tc.sweptToSponsor {
				localnettest.RequireSessionInstruction(t, net, client.CreateSessionWithPayer)
			}
			localnettest.RequireLamportsArgument(t, net)
			d := decode[demoReport](t, h.run(append(append([]string{"demo", "--output", "json"}, tc.args...), build...)...).ok(t))
			n := d.Moves.Count
			require.Equal(t, tc.instruction, d.Session.Instruction)
			require.Equal(t, n, d.Moves.SignedBySessionKeyOnly)
			require.Equal(t, int64(n), d.Moves.PlayerX)
			require.Equal(t, uint64(n), d.Moves.PlayerMoves)
			require.Equal(t, uint64(n)*sigFee, d.Moves.Fees)
			require.Equal(t, "active", d.Token.Status)
			require.Equal(t, tc.rent, d.Revoke.Rent)
			require.Equal(t, d.Session.TopUp-uint64(n)*sigFee-tc.revokeFee, d.Revoke.Swept)
			require.Equal(t, tc.revokeFee, d.Revoke.Fee)
			require.Equal(t, tc.createFee, d.Fees.Create)
			require.Equal(t, uint64(n)*sigFee, d.Fees.Moves)
			require.Equal(t, tc.revokeFee, d.Fees.Revoke)
			require.Equal(t, tc.createFee+uint64(n)*sigFee+tc.revokeFee, d.Fees.Total)
			// The sender's metrics: every action landed (create, the moves, the revoke), and
			// the fees it counted are the fees the balances lost.
			var landed, baseFees, priorityFees int64
			for _, m := range d.Metrics {
				switch {
				case m.Name == "sessionkit.sender.actions" && m.Attributes["outcome"] == "landed":
					landed += m.Value
				case m.Name == "sessionkit.sender.fees" && m.Attributes["fee"] == "base":
					baseFees += m.Value
				case m.Name == "sessionkit.sender.fees":
					priorityFees += m.Value
				}
			}
			require.Equal(t, int64(n+2), landed)
			require.Equal(t, int64(d.Fees.Total), baseFees)
			require.Zero(t, priorityFees)
			payer := d.Authority
			if tc.sponsor {
				payer = d.Sponsor
			}
			require.Equal(t, payer, d.Session.FeePayer)
			for _, b := range d.Balances {
				switch b.Name {
				case "session signer", "session token":
					require.Zero(t, b.Before, b.Name)
					require.Zero(t, b.AfterRevoke, b.Name)
				case "authority", "sponsor":
					if (b.Name == "sponsor") == tc.sponsor {
						require.Equal(t, d.Fees.Total, b.Before-b.AfterRevoke, b.Name)
					}
				}
			}
		})
	}
}

// TestDemoText pins the demo's human report, with keys, times and rates normalised.
func TestDemoText(t *testing.T) {
	localnettest.ForTest(t)
	localnettest.RequireOwnSessionBuild(t, "demo.txt pins its answers")
	r := newHarness(t, nil).run("demo", "--moves", "4", "--concurrency", "1").ok(t)
	golden.Check(t, "demo.txt", normalize(r.out))
}

func TestDemoBadOptions(t *testing.T) {
	h := newHarness(t, nil)
	for args, want := range map[string]string{
		"--moves 0":        "Error: --moves and --concurrency must be at least 1",
		"--top-up 0.0001":  "Error: demo: invalid options: a top-up of 100000 lamports cannot pay for 100 moves and the revoke (at least 510000 lamports)",
		"--valid-for 0s":   `Error: --valid-for "0s": want a positive duration such as 90m, 24h or 7d`,
		"--top-up 1e3":     `Error: --top-up "1e3": not a SOL amount (a decimal such as 0.01, at most 9 decimals)`,
		"--concurrency -1": "Error: --moves and --concurrency must be at least 1",
	} {
		r := h.run(append([]string{"demo"}, splitArgs(args)...)...)
		require.Equal(t, ExitUsage, r.code, "%s", r)
		require.Equal(t, want+"\nHint: run 'sessionkit demo --help' for usage\n", r.err)
	}
}

func splitArgs(s string) []string { return strings.Fields(s) }

// The demo runs on the session build it is given: here the legacy V1 stand-in, which
// tops up the default amount that the demo asks for.
func TestDemoOnAGivenBuild(t *testing.T) {
	localnettest.ForTest(t)
	r := newHarness(t, nil).run("demo", "--moves", "2", "--session-program", legacyELF, "--output", "json").ok(t)
	d := decode[demoReport](t, r)
	require.Equal(t, "create_session", d.Session.Instruction)
	require.Equal(t, uint64(2), d.Moves.PlayerMoves)
	require.Contains(t, r.out, "gpl_session (the given build)")

	bad := newHarness(t, nil).run("demo", "--session-program", "/nonexistent.so")
	require.Equal(t, ExitError, bad.code, "%s", bad)
	require.Contains(t, bad.err, "--session-program takes a session_keys.so file")
}

// demo --scoped: the create carries the signed grant (its memo checked), a transfer over
// the grant's 20 GOLD a transaction is refused before signing, the session's 50 GOLD
// buy three items at 15, the fourth purchase is refused on chain, and the revoke
// returns the 5 left and every lamport but the fees.
func TestDemoScoped(t *testing.T) {
	localnettest.RequireOwnSessionBuild(t, "the scoped demo runs on sessionkit's build")
	type row struct {
		Name                                         string `json:"name"`
		Before, AfterCreate, AfterMoves, AfterRevoke uint64
	}
	var d struct {
		demoReport
		Scoped struct {
			GrantedSOL, GrantedTokens, ItemPrice, TokensReturned uint64
			Bought                                               int    `json:"itemsBought"`
			Refused                                              string `json:"refusedPurchase"`
			Grant                                                struct {
				Permissions []struct {
					Type string          `json:"type"`
					Data json.RawMessage `json:"data"`
				} `json:"permissions"`
			} `json:"grant"`
			GrantHash     string `json:"grantSha256"`
			MemoCheck     string `json:"memoCheck"`
			PolicyRefusal struct {
				Error            string
				Bound            string
				Limit, Requested uint64
				Signed           bool
			} `json:"policyRefusal"`
		} `json:"scoped"`
		Inspected struct {
			GrantLeft []struct {
				Bound             string
				Limit, Used, Left uint64
			} `json:"grantLeft"`
		} `json:"inspectedToken"`
		TokenBalances []row `json:"tokenBalances"`
		Revoke        struct {
			TokenRent uint64 `json:"tokenAccountRentLamports"`
		} `json:"revoke"`
	}
	r := newHarness(t, nil).run("demo", "--scoped", "--moves", "5", "--output", "json").ok(t)
	require.NoError(t, json.Unmarshal([]byte(r.out), &d))
	require.Equal(t, 3, d.Scoped.Bought)
	require.Contains(t, d.Scoped.Refused, "purchase 4: insufficient funds (5000000 left, 15000000 asked)")
	require.Equal(t, uint64(5_000_000), d.Scoped.TokensReturned)

	// The grant the authority signed: its hash is in the create's memo.
	require.Equal(t, "match", d.Scoped.MemoCheck)
	require.Len(t, d.Scoped.GrantHash, 64)
	perms := map[string]string{}
	for _, p := range d.Scoped.Grant.Permissions {
		var b bytes.Buffer
		require.NoError(t, json.Compact(&b, p.Data))
		perms[p.Type] = b.String()
	}
	require.Equal(t, `{"allow":["move_player","buy_item"]}`, perms["instructions"])
	require.Equal(t, `{"count":100}`, perms["max-uses"])
	require.Equal(t, `{"total":"10000000"}`, perms["native-token-limit"])
	require.Contains(t, perms["token-limit"], `"perTransaction":"20000000","total":"50000000"`)
	// The move refused before signing, with its numbers; it cost nothing (the fees below).
	rf := d.Scoped.PolicyRefusal
	require.Equal(t, "token-limit perTransaction", rf.Bound)
	require.Equal(t, [2]uint64{20_000_000, 25_000_000}, [2]uint64{rf.Limit, rf.Requested})
	require.False(t, rf.Signed)
	require.Contains(t, rf.Error, "guard: spend over the per-transaction limit")
	require.Contains(t, rf.Error, "25000000 over the limit 20000000")
	// What the grant leaves after 5 moves and 4 purchases (the refused one signed too).
	type left = struct {
		Bound             string
		Limit, Used, Left uint64
	}
	require.Equal(t, []left{{"max-uses", 100, 9, 91}, {"native-token-limit", 10_000_000, 0, 10_000_000}, {"token-limit", 50_000_000, 0, 50_000_000}},
		[]left(d.Inspected.GrantLeft), "buy_item spends by CPI, which only the chain's cap counts here")
	require.Equal(t, []row{
		{"authority", 1_000_000_000, 950_000_000, 950_000_000, 955_000_000},
		{"treasury", 0, 0, 45_000_000, 45_000_000},
		{"session signer", 0, 50_000_000, 5_000_000, 0},
	}, d.TokenBalances)
	// SOL: every party but the authority ends where it began, and the authority is out
	// exactly the fees: create, 5 moves and 3 purchases, revoke.
	fees := 2*sigFee + 8*sigFee + sigFee
	require.Equal(t, uint64(fees), d.Fees.Total)
	for _, b := range d.Balances {
		if b.Name == "authority" {
			require.Equal(t, uint64(fees), b.Before-b.AfterRevoke)
		} else {
			require.Zero(t, b.AfterRevoke, b.Name)
		}
	}
	require.NotZero(t, d.Revoke.TokenRent)
}
