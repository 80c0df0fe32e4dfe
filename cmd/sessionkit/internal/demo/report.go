package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
)

// Report is what the demo did and measured. Durations marshal as milliseconds.
type Report struct {
	Options   Params          `json:"-"`
	Cluster   Cluster         `json:"cluster"`
	Programs  []Program       `json:"programs"`
	Authority string          `json:"authority"`
	Sponsor   string          `json:"sponsor,omitempty"`
	Player    string          `json:"player"`
	Session   Session         `json:"session"`
	Moves     Moves           `json:"moves"`
	Token     *tokenview.View `json:"inspectedToken"`
	Revoke    Revoke          `json:"revoke"`
	Balances  []*BalanceRow   `json:"balances"`
	// Scoped and TokenBalances (in GOLD base units) are the scoped demo's.
	Scoped        *Scoped       `json:"scoped,omitempty"`
	TokenBalances []*BalanceRow `json:"tokenBalances,omitempty"`
	Fees          Fees          `json:"fees"`
	Steps         []Step        `json:"steps"`
	// Metrics are the sender's, collected at the end.
	Metrics []Metric      `json:"metrics"`
	Total   time.Duration `json:"-"`
	started time.Time
}

// Cluster is the local cluster the demo ran on.
type Cluster struct {
	Backend string `json:"backend"`
	RPCURL  string `json:"rpcUrl"`
	WSURL   string `json:"wsUrl"`
}

// Program is a program loaded at start.
type Program struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ELFBytes int    `json:"elfBytes"`
	Owner    string `json:"owner"`
}

// Session is the session the authority created.
type Session struct {
	Instruction string `json:"instruction"`
	Version     int    `json:"version"`
	Token       string `json:"token"`
	Signer      string `json:"sessionSigner"`
	FeePayer    string `json:"feePayer"`
	ValidUntil  int64  `json:"validUntil"`
	TopUp       uint64 `json:"topUpLamports"`
}

// Moves is what the session key did.
type Moves struct {
	Count       int           `json:"count"`
	Concurrency int           `json:"concurrency"`
	Elapsed     time.Duration `json:"-"`
	PerSecond   float64       `json:"transactionsPerSecond"`
	// SignedBySessionKeyOnly counts the moves whose transaction carries one signature,
	// the session signer's.
	SignedBySessionKeyOnly int    `json:"signedBySessionKeyOnly"`
	Fees                   uint64 `json:"feesLamports"`
	PlayerX                int64  `json:"playerX"`
	PlayerY                int64  `json:"playerY"`
	PlayerMoves            uint64 `json:"playerMoves"`
	FirstSignature         string `json:"firstSignature"`
	LastSignature          string `json:"lastSignature"`
}

// Revoke is the revoke transaction and what it moved.
type Revoke struct {
	Signature string `json:"signature"`
	Rent      uint64 `json:"rentLamports"`
	Swept     uint64 `json:"sweptLamports"`
	SweptTo   string `json:"sweptTo"`
	Fee       uint64 `json:"feeLamports"`
	// TokenRent is the rent of the session's token accounts, closed by the revoke.
	TokenRent uint64 `json:"tokenAccountRentLamports,omitempty"`
}

// BalanceRow is one party's balance through the lifecycle, in lamports.
type BalanceRow struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	Before      uint64 `json:"before"`
	AfterCreate uint64 `json:"afterCreate"`
	AfterMoves  uint64 `json:"afterMoves"`
	AfterRevoke uint64 `json:"afterRevoke"`
}

func (b *BalanceRow) set(at string, lamports uint64) {
	switch at {
	case "before":
		b.Before = lamports
	case "afterCreate":
		b.AfterCreate = lamports
	case "afterMoves":
		b.AfterMoves = lamports
	case "afterRevoke":
		b.AfterRevoke = lamports
	}
}

// Change is the row's net change over the whole lifecycle.
func (b *BalanceRow) Change() int64 { return int64(b.AfterRevoke) - int64(b.Before) }

func (r *Report) tokenBalance(name, address string) *BalanceRow {
	for _, b := range r.TokenBalances {
		if b.Name == name {
			return b
		}
	}
	b := &BalanceRow{Name: name, Address: address}
	r.TokenBalances = append(r.TokenBalances, b)
	return b
}

func (r *Report) balance(name, address string) *BalanceRow {
	for _, b := range r.Balances {
		if b.Name == name {
			return b
		}
	}
	b := &BalanceRow{Name: name, Address: address}
	r.Balances = append(r.Balances, b)
	return b
}

// Fees splits what the parties lost in total, phase by phase: with every rent and the
// unspent top-up returned, that is exactly the transaction fees.
type Fees struct {
	Create uint64 `json:"create"`
	Moves  uint64 `json:"moves"`
	Revoke uint64 `json:"revoke"`
	Total  uint64 `json:"total"`
}

func (r *Report) fees() Fees {
	var sum [4]uint64
	for _, b := range r.Balances {
		sum[0] += b.Before
		sum[1] += b.AfterCreate
		sum[2] += b.AfterMoves
		sum[3] += b.AfterRevoke
	}
	return Fees{Create: sum[0] - sum[1], Moves: sum[1] - sum[2], Revoke: sum[2] - sum[3], Total: sum[0] - sum[3]}
}

// Step is one timed phase.
type Step struct {
	Name    string        `json:"name"`
	Elapsed time.Duration `json:"-"`
}

// MarshalJSON gives durations in milliseconds.
func (s Step) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name string  `json:"name"`
		Ms   float64 `json:"elapsedMs"`
	}{s.Name, ms(s.Elapsed)})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MarshalJSON adds the total time.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		TotalMs float64 `json:"totalMs"`
	}{(*plain)(r), ms(r.Total)})
}

func (r *Report) step(name string) time.Duration {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Elapsed
		}
	}
	return 0
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	p := &printer{w: w}
	p.line("sessionkit demo: the session-key lifecycle on an embedded local cluster")
	p.line("")
	p.head(1, "Local cluster started", r.step("start"))
	p.line("   %s backend at %s (WebSocket %s)", r.Cluster.Backend, r.Cluster.RPCURL, r.Cluster.WSURL)

	p.head(2, "Programs loaded", r.step("programs"))
	for _, pr := range r.Programs {
		p.line("   %s  %-32s %s bytes, executable, owner %s", pr.ID, pr.Name, output.Grouped(uint64(pr.ELFBytes)), pr.Owner)
	}

	p.head(3, "Authority funded", r.step("fund"))
	p.line("   authority %s with %s", r.Authority, output.SOL(Funding))
	if r.Sponsor != "" {
		p.line("   sponsor   %s with %s (pays rent and top-up)", r.Sponsor, output.SOL(Funding))
	}
	p.line("   player account %s created by the authority (init_player)", r.Player)

	s := r.Session
	p.head(4, fmt.Sprintf("Session created: %s (V%d token), signed once by the authority", s.Instruction, s.Version), r.step("create"))
	p.line("   token           %s", s.Token)
	p.line("   session signer  %s (ephemeral key, made in this process)", s.Signer)
	p.line("   fee payer       %s", s.FeePayer)
	p.line("   top-up          %s (%s lamports) to the session signer", output.SOL(s.TopUp), output.Grouped(s.TopUp))
	p.line("   valid until     %s (%s)", output.UTC(s.ValidUntil), output.Relative(s.ValidUntil, r.Token.ClusterTime))
	if sc := r.Scoped; sc != nil {
		p.line("   caps            %s SOL (the top-up) and %s GOLD (mint %s) moved to the session's own", output.SOLAmount(sc.GrantedSOL), gold(sc.GrantedTokens), sc.Mint)
		p.line("                   token account in the same transaction: the chain holds the key to these, even if it leaks")
		p.line("   grant           %s", sc.Grant)
		p.line("                   sha256 %s in the create's memo, signed by the authority: %s", sc.GrantHash, sc.MemoCheck)
		p.line("                   sessionkit judges every move against it before the key signs")
	}

	m := r.Moves
	p.head(5, fmt.Sprintf("%d moves played, signed only by the session key", m.Count), m.Elapsed)
	p.line("   %.1f transactions/s with %d in flight", m.PerSecond, m.Concurrency)
	p.line("   player at (%d, %d) after %d moves; %d of %d transactions carry one signature, the session signer's",
		m.PlayerX, m.PlayerY, m.PlayerMoves, m.SignedBySessionKeyOnly, m.Count)
	p.line("   first %s", m.FirstSignature)
	p.line("   last  %s", m.LastSignature)
	if sc := r.Scoped; sc != nil {
		if rf := sc.PolicyRefusal; rf != nil {
			p.line("   refused before signing (%s %s GOLD, asked %s; nothing sent): %s", rf.Bound, gold(rf.Limit), gold(rf.Requested), rf.Error)
		}
		p.line("   %d items bought at %s GOLD each with buy_item, paid from %s to the treasury %s", sc.Bought, gold(sc.ItemPrice), sc.SessionTokenAccount, sc.Treasury)
		p.line("   refused on chain: %s", sc.Refused)
	}

	p.head(6, "Token inspected", r.step("inspect"))
	var view strings.Builder
	if err := r.Token.WriteText(&view); err != nil {
		return err
	}
	for _, l := range strings.Split(strings.TrimSpace(view.String()), "\n") {
		p.line("   %s", l)
	}

	rv := r.Revoke
	p.head(7, "Session revoked, lamports swept back", r.step("revoke"))
	p.line("   signature %s", rv.Signature)
	p.line("   rent %s and unspent top-up %s lamports went to %s; fee %s",
		output.Grouped(rv.Rent), output.Grouped(rv.Swept), rv.SweptTo, output.Grouped(rv.Fee))
	if sc := r.Scoped; sc != nil {
		p.line("   %s GOLD left in the session's account went back to the authority; the account was closed and its", gold(sc.TokensReturned))
		p.line("   rent of %s lamports returned to the authority, all in the same transaction signed by the session key", output.Grouped(rv.TokenRent))
	}

	p.head(8, "Balances in lamports, exact", 0)
	table, err := balanceTable(r.Balances, "ADDRESS", "AFTER MOVES")
	if err != nil {
		return err
	}
	p.raw(table)
	f := r.Fees
	txs, what := m.Count, "moves"
	if r.Scoped != nil {
		txs, what = m.Count+r.Scoped.Bought, fmt.Sprintf("moves and purchases (%d + %d)", m.Count, r.Scoped.Bought)
	}
	perTx := uint64(0)
	if txs > 0 {
		perTx = f.Moves / uint64(txs)
	}
	p.line("   The session cost %s lamports, all of it transaction fees: create %s + %d %s × %s + revoke %s;",
		output.Grouped(f.Total), output.Grouped(f.Create), txs, what, output.Grouped(perTx), output.Grouped(f.Revoke))
	p.line("   the rent and the unspent top-up came back.")
	if len(r.TokenBalances) > 0 {
		p.line("")
		p.line("   GOLD in base units (6 decimals), exact:")
		table, err := balanceTable(r.TokenBalances, "TOKEN ACCOUNT", "AFTER PLAY")
		if err != nil {
			return err
		}
		p.raw(table)
		p.line("   The authority is out exactly the items bought; the treasury got exactly that; nothing else moved.")
	}

	p.line("")
	var parts []string
	for _, st := range r.Steps {
		parts = append(parts, st.Name+" "+output.Duration(st.Elapsed))
	}
	p.line("Done in %s (%s); moves at %.1f tx/s.", output.Duration(r.Total), strings.Join(parts, ", "), m.PerSecond)
	return p.err
}

// gold prints base units of GOLD as whole tokens.
func gold(units uint64) string {
	if units%goldUnit == 0 {
		return output.Grouped(units / goldUnit)
	}
	return fmt.Sprintf("%d.%06d", units/goldUnit, units%goldUnit)
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) raw(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s)
	}
}

func (p *printer) line(format string, args ...any) { p.raw(fmt.Sprintf(format, args...) + "\n") }

func (p *printer) head(n int, title string, d time.Duration) {
	if d > 0 {
		p.line("%d. %s  [%s]", n, title, output.Duration(d))
		return
	}
	p.line("%d. %s", n, title)
}

// balanceTable renders rows of balances at each step of the demo; address and middle
// name the address column and the step between create and revoke.
func balanceTable(rows []*BalanceRow, address, middle string) (string, error) {
	var b strings.Builder
	t := output.NewTable(&b, "   PARTY", address, "BEFORE", "AFTER CREATE", middle, "AFTER REVOKE", "CHANGE")
	for _, r := range rows {
		t.Row("   "+r.Name, r.Address, output.Grouped(r.Before), output.Grouped(r.AfterCreate),
			output.Grouped(r.AfterMoves), output.Grouped(r.AfterRevoke), output.GroupedSigned(r.Change()))
	}
	if err := t.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}
