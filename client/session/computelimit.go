package session

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// A move's compute-unit limit may come from simulation (WithComputeLimitFromSimulation):
// limit = simulated units × (100 + margin) / 100, so that a priority fee is paid on what
// the move uses rather than on the runtime's ceiling. The units are simulated once per
// instruction shape (program ids, the leading 8 bytes of each instruction's data and its
// account count) and cached for the Manager's life.
//
// Moves must stay distinct (unique.go): with the ceiling as limit, the salt and the
// variant ride in the limit above 1.4M, which the runtime clamps away. A real limit has
// no such room, so the salt moves to a SetLoadedAccountsDataSizeLimit instruction
// whose value is the runtime's maximum (64 MiB, also its default) plus the same salt and
// variant: the runtime clamps it to that maximum, so it changes neither what the move
// may load nor what it pays, and the limit stays the honest simulated one.

// maxLoadedData is the runtime's ceiling on a transaction's loaded account data, to
// which it clamps a larger SetLoadedAccountsDataSizeLimit.
const maxLoadedData = 64 << 20

// unitLimits caches simulated units per instruction shape.
type unitLimits struct {
	margin uint32
	seed   maphash.Seed
	mu     sync.Mutex
	units  map[uint64]uint32
}

// WithComputeLimitFromSimulation sets each move's compute-unit limit to its simulated
// units plus marginPercent per cent (at least one unit more), simulating once per
// instruction shape. Moves that carry their own Compute Budget instruction keep it.
func WithComputeLimitFromSimulation(marginPercent uint32) Option {
	return func(m *Manager) {
		m.limits = &unitLimits{margin: marginPercent, seed: maphash.MakeSeed(), units: make(map[uint64]uint32)}
	}
}

// shape hashes what decides a move's compute: its programs, instructions and accounts'
// count.
func (l *unitLimits) shape(ixs []solana.Instruction) (uint64, error) {
	var h maphash.Hash
	h.SetSeed(l.seed)
	for _, ix := range ixs {
		p := ix.ProgramID()
		h.Write(p[:])
		data, err := ix.Data()
		if err != nil {
			return 0, fmt.Errorf("session: instruction data: %w", err)
		}
		h.Write(data[:min(8, len(data))])
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(ix.Accounts())))
		h.Write(n[:])
	}
	return h.Sum64(), nil
}

// simulatedLimit is the move's limit from simulation, zero without
// WithComputeLimitFromSimulation or when ixs set their own compute budget.
func (s *Session) simulatedLimit(ctx context.Context, ixs []solana.Instruction, cfg *wrapConfig) (uint32, error) {
	if s.mgr == nil || s.mgr.limits == nil {
		return 0, nil
	}
	for _, ix := range ixs {
		if ix.ProgramID() == solana.ComputeBudget {
			return 0, nil
		}
	}
	l := s.mgr.limits
	key, err := l.shape(ixs)
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	units, ok := l.units[key]
	l.mu.Unlock()
	if !ok {
		if units, err = s.simulateUnits(ctx, ixs, cfg); err != nil {
			return 0, err
		}
		l.mu.Lock()
		l.units[key] = units
		l.mu.Unlock()
	}
	limit := uint64(units) * uint64(100+l.margin) / 100
	return uint32(min(max(limit, uint64(units)+1), maxComputeUnits)), nil
}

// simulateUnits simulates ixs as a move carries them, with the ceiling as limit
// (unsigned: sigVerify off, the blockhash replaced), and returns the units consumed.
func (s *Session) simulateUnits(ctx context.Context, ixs []solana.Instruction, cfg *wrapConfig) (uint32, error) {
	payer := s.signer
	if cfg.payer != nil {
		payer = *cfg.payer
	}
	// The very instructions the move will carry: each Compute Budget instruction costs
	// units too.
	sim := withLimit(append(append([]solana.Instruction(nil), ixs...), newUnitLimit(s.salt, 0)), maxComputeUnits)
	if priced(s.mgr.snd) {
		sim = withPrice(sim, 1)
	}
	msg, err := txn.CompileLegacy(payer, solana.Hash{}, sim...)
	if err != nil {
		return 0, fmt.Errorf("session: building a move to simulate: %w", err)
	}
	wire, err := msg.Assemble(make([]solana.Signature, len(msg.Signers())))
	if err != nil {
		return 0, fmt.Errorf("session: building a move to simulate: %w", err)
	}
	var out struct {
		Value struct {
			Err           any     `json:"err"`
			UnitsConsumed *uint64 `json:"unitsConsumed"`
		} `json:"value"`
	}
	if err := s.mgr.rpc.RPCCallForInto(ctx, &out, "simulateTransaction", []any{base64.StdEncoding.EncodeToString(wire), map[string]any{
		"encoding": "base64", "sigVerify": false, "replaceRecentBlockhash": true, "commitment": s.mgr.commitment,
	}}); err != nil {
		return 0, fmt.Errorf("session: simulating a move of %s for its compute units: %w", s.token, err)
	}
	switch {
	case out.Value.Err != nil:
		return 0, fmt.Errorf("session: a move of %s fails in simulation, so its compute units are unknown: %w",
			s.token, txn.ParseTransactionError(out.Value.Err, nil))
	case out.Value.UnitsConsumed == nil:
		return 0, fmt.Errorf("session: the cluster's simulation of a move of %s reports no compute units", s.token)
	}
	return uint32(min(*out.Value.UnitsConsumed, maxComputeUnits)), nil
}

// loadedData is a SetLoadedAccountsDataSizeLimit instruction held inline.
type loadedData struct{ data [5]byte }

func (*loadedData) ProgramID() solana.PublicKey     { return solana.ComputeBudget }
func (*loadedData) Accounts() []*solana.AccountMeta { return nil }
func (u *loadedData) Data() ([]byte, error)         { return u.data[:], nil }

// withLimit replaces the salted ceiling distinct appended with limit, and carries its
// salt and variant in a loaded-data limit the runtime clamps to its default.
func withLimit(ixs []solana.Instruction, limit uint32) []solana.Instruction {
	if limit == 0 || len(ixs) == 0 {
		return ixs
	}
	salted, ok := ixs[len(ixs)-1].(*unitLimit)
	if !ok {
		return ixs // the caller's own compute budget
	}
	variant := binary.LittleEndian.Uint32(salted.data[1:]) - maxComputeUnits
	exact := &unitLimit{data: [5]byte{2}}
	binary.LittleEndian.PutUint32(exact.data[1:], limit)
	salt := &loadedData{data: [5]byte{4}} // SetLoadedAccountsDataSizeLimit
	binary.LittleEndian.PutUint32(salt.data[1:], maxLoadedData+variant)
	return append(ixs[:len(ixs)-1], exact, salt)
}
