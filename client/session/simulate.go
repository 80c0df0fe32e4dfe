package session

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
)

// admit counts a move of a session with a grant against the grant's stateful bounds,
// after the guard judged its message; for a limit with "simulate", the move's spend is
// first taken from a simulation when that shows more than the instructions did.
func (s *Session) admit(ctx context.Context, msg []byte, spend *guard.Spend) error {
	b := s.bounds
	if ctx == nil {
		ctx = context.Background()
	}
	var now int64
	if b.grant.ValidAfter != 0 {
		if s.mgr == nil {
			return fmt.Errorf("%w: session %s has no Manager clock to judge its grant's valid-after by", ErrBadParams, s.token)
		}
		var err error
		if now, err = s.mgr.clock.now(ctx); err != nil {
			return err
		}
	}
	if b.simulates() {
		if err := s.simulateSpend(ctx, msg, spend); err != nil {
			return err
		}
	}
	return b.admit(ctx, now, spend)
}

// accountState is one account of a getMultipleAccounts or simulateTransaction answer.
type accountState struct {
	Lamports uint64   `json:"lamports"`
	Data     []string `json:"data"`
}

// tokenAmount reads an SPL token account's amount (bytes 64..72 of Token and
// Token-2022 accounts alike); a missing or short account holds nothing.
func (a *accountState) tokenAmount() uint64 {
	if a == nil || len(a.Data) == 0 {
		return 0
	}
	raw, err := base64.StdEncoding.DecodeString(a.Data[0])
	if err != nil || len(raw) < 72 {
		return 0
	}
	return binary.LittleEndian.Uint64(raw[64:72])
}

func (a *accountState) lamports() uint64 {
	if a == nil {
		return 0
	}
	return a.Lamports
}

// simulateSpend simulates msg (unsigned: sigVerify off, the blockhash replaced) and
// raises spend to what the simulation shows leaving the signer and its token accounts:
// the fee aside, lamports and tokens a target program moved by CPI count as the
// instructions' own do. The simulated spend is judged against the per-transaction
// limits as the guard judges the static one. A move that fails in simulation is refused:
// what it would spend cannot be known.
func (s *Session) simulateSpend(ctx context.Context, msg []byte, spend *guard.Spend) error {
	if s.mgr == nil || s.mgr.rpc == nil {
		return fmt.Errorf("%w: session %s has no Manager to simulate its moves with", ErrBadParams, s.token)
	}
	b := s.bounds
	addrs := []string{s.signer.String()}
	var mintOf []int // per token account address after the signer: index into grant.Tokens
	keys := staticKeys(msg)
	for _, ta := range b.policy.TokenAccounts {
		if !slices.Contains(keys, ta.Address) {
			// A transaction changes only the accounts it names (the guard refuses lookup
			// tables); and a simulation may leave out the accounts it did not load, which
			// must not read as emptied.
			continue
		}
		for j := range b.grant.Tokens {
			if b.grant.Tokens[j].Mint == ta.Mint && b.grant.Tokens[j].Simulate {
				addrs = append(addrs, ta.Address.String())
				mintOf = append(mintOf, j)
			}
		}
	}
	var pre struct {
		Value []*accountState `json:"value"`
	}
	if err := s.mgr.rpc.RPCCallForInto(ctx, &pre, "getMultipleAccounts", []any{addrs,
		map[string]any{"commitment": s.mgr.commitment, "encoding": "base64", "minContextSlot": s.lastSlot.Load()}}); err != nil {
		return fmt.Errorf("session: reading accounts before simulating a move of %s: %w", s.token, err)
	}
	nSigs := int(msg[0])
	if msg[0]&0x80 != 0 {
		nSigs = int(msg[1])
	}
	wire := append(append([]byte{byte(nSigs)}, make([]byte, 64*nSigs)...), msg...) // nSigs < 128: one short_vec byte
	var sim struct {
		Value struct {
			Err      json.RawMessage `json:"err"`
			Logs     []string        `json:"logs"`
			Accounts []*accountState `json:"accounts"`
		} `json:"value"`
	}
	if err := s.mgr.rpc.RPCCallForInto(ctx, &sim, "simulateTransaction", []any{base64.StdEncoding.EncodeToString(wire), map[string]any{
		"encoding": "base64", "sigVerify": false, "replaceRecentBlockhash": true, "commitment": s.mgr.commitment,
		"accounts": map[string]any{"addresses": addrs, "encoding": "base64"},
	}}); err != nil {
		return fmt.Errorf("session: simulating a move of %s: %w", s.token, err)
	}
	if e := string(sim.Value.Err); e != "" && e != "null" {
		return fmt.Errorf("%w: the move fails in simulation (%s), so what it spends cannot be counted", ErrBound, e)
	}
	if len(pre.Value) != len(addrs) || len(sim.Value.Accounts) != len(addrs) {
		return fmt.Errorf("session: simulating a move of %s: %d and %d accounts for %d addresses", s.token, len(pre.Value), len(sim.Value.Accounts), len(addrs))
	}
	if before, after := pre.Value[0].lamports(), sim.Value.Accounts[0].lamports(); b.grant.Native != nil && b.grant.Native.Simulate && before > after {
		if lost := before - after; lost > spend.Fee {
			spend.Lamports = max(spend.Lamports, lost-spend.Fee)
		}
	}
	var lost [guard.MaxTokenLimits]uint64
	for i, j := range mintOf {
		if before, after := pre.Value[i+1].tokenAmount(), sim.Value.Accounts[i+1].tokenAmount(); before > after {
			lost[j] += before - after
		}
	}
	for j := range b.grant.Tokens {
		spend.Tokens[j] = max(spend.Tokens[j], lost[j])
	}
	return b.withinPerTransaction(spend)
}

// withinPerTransaction judges a simulated spend against the per-transaction limits.
func (b *bounds) withinPerTransaction(spend *guard.Spend) error {
	if l := b.policy.Lamports; l != nil && spend.Lamports > l.PerTransaction {
		return &guard.RefusedError{Index: -1, Program: solana.SystemProgramID, Err: guard.ErrSpendLimit,
			Detail: fmt.Sprintf("native-token-limit perTransaction (simulated): %d lamports over the limit %d", spend.Lamports, l.PerTransaction)}
	}
	for i, t := range b.policy.Tokens {
		if spend.Tokens[i] > t.PerTransaction {
			return &guard.RefusedError{Index: -1, Err: guard.ErrSpendLimit,
				Detail: fmt.Sprintf("token-limit perTransaction of mint %s (simulated): %d over the limit %d", t.Mint, spend.Tokens[i], t.PerTransaction)}
		}
	}
	return nil
}

// staticKeys are the account keys a legacy or v0 message lists, nil when they cannot be
// read (the guard has refused such a message before this is asked).
func staticKeys(msg []byte) []solana.PublicKey {
	i := 0
	if len(msg) > 0 && msg[0]&0x80 != 0 {
		i = 1 // the version prefix
	}
	i += 3 // the header
	n, shift := 0, 0
	for ; i < len(msg) && shift < 21; shift += 7 {
		c := msg[i]
		i++
		n |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	if n < 0 || i+32*n > len(msg) {
		return nil
	}
	out := make([]solana.PublicKey, n)
	for k := range out {
		copy(out[k][:], msg[i+32*k:])
	}
	return out
}
