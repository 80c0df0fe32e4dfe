package session

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/sender"
)

// A move pays a priority fee when the Manager's sender has a fee estimator
// (sender.WithPriorityFees or sender.WithFeeEstimator): the sender picks the price and
// raises it on re-signing, and the move's build adds the SetComputeUnitPrice
// instruction itself, clamped to the session guard's MaxUnitPrice, so the guard judges
// it like every other instruction and never refuses a price of ours. Moves that carry
// their own Compute Budget instruction keep the caller's choice and get no price.
//
// The price is paid on the salted unit limit (see unique.go), which the runtime clamps
// to its ceiling: FeePolicy.MaxLamports divides sender.MaxUnitLimit.

// unitPrice is a SetComputeUnitPrice instruction held inline.
type unitPrice struct{ data [9]byte }

func newUnitPrice(microLamports uint64) *unitPrice {
	u := &unitPrice{data: [9]byte{3}} // SetComputeUnitPrice
	binary.LittleEndian.PutUint64(u.data[1:], microLamports)
	return u
}

func (*unitPrice) ProgramID() solana.PublicKey     { return solana.ComputeBudget }
func (*unitPrice) Accounts() []*solana.AccountMeta { return nil }
func (u *unitPrice) Data() ([]byte, error)         { return u.data[:], nil }

// priced reports whether moves through snd pay a priority fee.
func priced(snd *sender.Sender) bool { return snd != nil && snd.FeeEstimator() != nil }

// sendPriced sends a move at the sender's compute-unit price for its writable accounts.
func (s *Session) sendPriced(ctx context.Context, ixs []solana.Instruction, cfg *wrapConfig) (*sender.Result, error) {
	mv := &move{s: s, ctx: ctx, ixs: ixs, cfg: *cfg}
	mv.cfg.ctx = ctx
	maxPrice := mv.cfg.guard.MaxUnitPrice
	if maxPrice == 0 {
		maxPrice = guard.DefaultMaxUnitPrice
	}
	p := sender.PriceParams{Writable: s.writable(ixs, cfg), UnitLimit: sender.MaxUnitLimit}
	if cfg.unitLimit > 0 {
		p.UnitLimit = cfg.unitLimit
	}
	return s.mgr.snd.SendPriced(ctx, p, func(blockhash solana.Hash, price uint64) ([]byte, error) {
		mv.cfg.price = min(price, maxPrice)
		return mv.build(blockhash)
	})
}

// writable lists the accounts ixs lock for writing, other than the session signer and
// the fee payer: those are this session's own and say nothing about the contention the
// move meets, and leaving them out lets every session of a game share one estimate.
func (s *Session) writable(ixs []solana.Instruction, cfg *wrapConfig) []solana.PublicKey {
	var out []solana.PublicKey
	for _, ix := range ixs {
		for _, m := range ix.Accounts() {
			if !m.IsWritable || m.PublicKey == s.signer || (cfg.payer != nil && m.PublicKey == *cfg.payer) ||
				slices.Contains(out, m.PublicKey) {
				continue
			}
			out = append(out, m.PublicKey)
		}
	}
	return out
}

// withPrice appends a price instruction to a move's instructions when it has a price
// and the caller set no Compute Budget instruction of their own.
func withPrice(ixs []solana.Instruction, price uint64) []solana.Instruction {
	if price == 0 {
		return ixs
	}
	for _, ix := range ixs {
		if ix.ProgramID() == solana.ComputeBudget {
			switch ix.(type) {
			case *unitLimit, *loadedData: // ours
			default:
				return ixs
			}
		}
	}
	return append(ixs, newUnitPrice(price))
}

// CreateFees are what the create cost its fee payer (base and priority fee, and who
// paid), when Manager.Create made this Session; zero otherwise (see Pending.Fees for a
// wallet-signed create).
func (s *Session) CreateFees() sender.Fees { return s.createFees }

// Fees are what the prepared transaction costs its fee payer when it lands (the wallet,
// unless another payer was set), computed from its message as the runtime charges it.
func (p *Pending) Fees() (sender.Fees, error) { return sender.MessageFees(p.message) }

// party names who pays a move's fee in the sender's metrics: a role, never a key.
func party(cfg *wrapConfig) string {
	if cfg.payer != nil {
		return "sponsor"
	}
	return "session_signer"
}
