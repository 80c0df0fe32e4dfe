package session

import (
	"context"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Manager creates, inspects, lists, renews and revokes sessions of one session program
// over RPC, and sends every transaction through one sender. It is safe for concurrent use
// and meant to be shared by a whole backend.
type Manager struct {
	rpc        *rpc.Client
	snd        *sender.Sender
	programID  solana.PublicKey
	commitment rpc.CommitmentType
	pdas       *pda.Cache
	clock      *clusterClock
	// dialed means Dial made rpc and snd, so Close releases them.
	dialed bool
	// unitLimitCap and unitPriceCap bound the Compute Budget instructions a session key
	// signs (zero: the guard's defaults).
	unitLimitCap uint32
	unitPriceCap uint64
	// maxValidity overrides the deployment's validity limit (zero: client.MaxValidityOf).
	maxValidity time.Duration
	// reserver keeps the counters of sessions' grants across restarts (nil: in memory).
	reserver tokenstore.Reserver
	// idls resolve grants' instruction names per target program.
	idls map[solana.PublicKey]*programidl.IDL
	// limits sets moves' compute-unit limits from simulation (nil: the salted ceiling).
	limits *unitLimits
}

// WithIDL resolves the instruction names of grants for target program through its IDL
// (programidl.ExampleGame, say): a name the IDL lacks is refused at create. Without one,
// names resolve by Anchor's rule, sha256("global:<name>")[:8], which a non-Anchor
// program's discriminators need not follow (a grant can name them as "0x…" instead).
func WithIDL(program solana.PublicKey, idl *programidl.IDL) Option {
	return func(m *Manager) {
		if m.idls == nil {
			m.idls = map[solana.PublicKey]*programidl.IDL{}
		}
		m.idls[program] = idl
	}
}

// WithStore names the store the backend keeps its sessions in. When it implements
// tokenstore.Reserver (Dir and Memory do), the counters of sessions' grants (moves and
// spend totals) are reserved in it before signing, in blocks, so that they survive
// restarts: a session is then saved to the store before its first move. Without it a
// grant's totals count in this process alone and start again after a restart.
func WithStore(st tokenstore.Store) Option {
	return func(m *Manager) {
		if r, ok := st.(tokenstore.Reserver); ok {
			m.reserver = r
		}
	}
}

// Option configures a Manager.
type Option func(*Manager)

// WithComputeCaps bounds the Compute Budget instructions a session key signs: the unit
// limit and the unit price (micro-lamports per unit) that its moves may ask for, and so
// the priority fee a move can burn from the top-up. Zero keeps guard.DefaultMaxUnitLimit
// and guard.DefaultMaxUnitPrice.
func WithComputeCaps(unitLimit uint32, unitPrice uint64) Option {
	return func(m *Manager) { m.unitLimitCap, m.unitPriceCap = unitLimit, unitPrice }
}

// WithMaxValidity sets the session program's validity limit, checked before a create is
// sent, for a deployment whose build differs from what its id suggests; by default it is
// client.MaxValidityOf(program id).
func WithMaxValidity(d time.Duration) Option { return func(m *Manager) { m.maxValidity = d } }

// WithProgramID selects the session program; the default is pda.MagicBlockProgramID.
func WithProgramID(id solana.PublicKey) Option { return func(m *Manager) { m.programID = id } }

// WithCommitment sets the commitment of reads (accounts, balances, the clock); the
// default is confirmed, the sender's default. Dial gives its sender the same one; with
// NewManager, use the sender's commitment.
func WithCommitment(c rpc.CommitmentType) Option { return func(m *Manager) { m.commitment = c } }

// WithPDACache memoises token address derivations, worthwhile with many sessions.
func WithPDACache(c *pda.Cache) Option { return func(m *Manager) { m.pdas = c } }

// WithClockMaxAge bounds how old the cached cluster clock reading may be before a
// signature waits for a new one; the default is 2s.
func WithClockMaxAge(d time.Duration) Option { return func(m *Manager) { m.clock.maxAge = d } }

// DefaultClockMaxAge is the default of WithClockMaxAge.
const DefaultClockMaxAge = 2 * time.Second

// NewManager returns a Manager reading through rpcClient and sending through snd, both
// the caller's to close; Dial makes both for an endpoint. A nil snd makes a read-only
// Manager: Get, Check, List and ClusterTime work, sending fails with ErrBadParams.
func NewManager(rpcClient *rpc.Client, snd *sender.Sender, opts ...Option) *Manager {
	m := &Manager{rpc: rpcClient, snd: snd, programID: pda.MagicBlockProgramID, commitment: rpc.CommitmentConfirmed}
	m.clock = &clusterClock{maxAge: DefaultClockMaxAge}
	for _, o := range opts {
		o(m)
	}
	m.clock.fetch = func(ctx context.Context) (int64, error) { return txn.ClusterTime(ctx, m.rpc, m.commitment) }
	return m
}

// RPC is the client the Manager reads through.
func (m *Manager) RPC() *rpc.Client { return m.rpc }

// Sender is the sender the Manager sends through, nil for a read-only Manager. Use it for
// transactions of the backend's own, so that they share its blockhash cache and WebSocket.
func (m *Manager) Sender() *sender.Sender { return m.snd }

// ProgramID is the session program the Manager works with.
func (m *Manager) ProgramID() solana.PublicKey { return m.programID }

// ClusterTime is the cluster's unix time, from a Clock sysvar reading at most the clock's
// maximum age old, advanced by the local monotonic time since.
func (m *Manager) ClusterTime(ctx context.Context) (int64, error) { return m.clock.now(ctx) }
