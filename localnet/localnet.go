// Package localnet runs a throwaway local Solana cluster for integration tests:
// an embedded surfpool runtime by default, or solana-test-validator where installed.
package localnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Backend names the runtime behind a Net.
type Backend string

const (
	// Embedded is surfpool's native Node build run by the bundled launcher.
	Embedded Backend = "embedded"
	// TestValidator is solana-test-validator from PATH.
	TestValidator Backend = "test-validator"
	// Off starts nothing: Start returns ErrDisabled, and localnettest skips
	// (outside CI) so that unit tests can run alone.
	Off Backend = "off"
)

// EnvBackend selects the backend when WithBackend is not given.
const EnvBackend = "SESSIONKIT_LOCALNET"

// Program is an SBF program loaded at Start under a fixed id, so programs
// whose keypair nobody holds (such as the session-keys program) can be tested
// at their real address. Loading bypasses the loader's deploy-time verifier
// (surfpool accepts any bytes; Start only checks the ELF magic), so tests of
// our own programs must also deploy them once with package deploy.
type Program struct {
	ID solana.PublicKey
	// ELF is the content of the program's .so file.
	ELF []byte
	// UpgradeAuthority, when set, makes the program upgradeable by that key;
	// otherwise the program cannot be upgraded.
	UpgradeAuthority *solana.PublicKey
}

// ProgramFile reads a .so file into a Program.
func ProgramFile(id solana.PublicKey, path string) (Program, error) {
	elf, err := os.ReadFile(path)
	if err != nil {
		return Program{}, fmt.Errorf("localnet: reading program %s: %w", id, err)
	}
	return Program{ID: id, ELF: elf}, nil
}

// Account is an account present from the start.
type Account struct {
	Address  solana.PublicKey
	Lamports uint64
	// Owner's zero value is the System program.
	Owner      solana.PublicKey
	Data       []byte
	Executable bool
}

// config is what Start's options set; the zero value is an empty cluster on the
// default backend.
type config struct {
	backend       Backend
	programs      []Program
	accounts      []Account
	funded        map[solana.PublicKey]uint64
	log           io.Writer
	startTimeout  time.Duration
	cacheDir      string
	validatorPath string
	cloneURL      string
	clone         []solana.PublicKey
}

// Option configures the cluster Start launches.
type Option func(*config)

// WithBackend selects the runtime. Default $SESSIONKIT_LOCALNET, then Embedded.
func WithBackend(b Backend) Option { return func(c *config) { c.backend = b } }

// WithPrograms loads programs before Start returns; each use adds to the
// programs of earlier ones. Default none.
func WithPrograms(p ...Program) Option {
	return func(c *config) { c.programs = append(c.programs, p...) }
}

// WithAccounts creates accounts before Start returns; each use adds to the
// accounts of earlier ones. Default none.
func WithAccounts(a ...Account) Option {
	return func(c *config) { c.accounts = append(c.accounts, a...) }
}

// WithFunded gives the system account pubkey exactly lamports at start, which
// unlike Net.Fund costs no transaction; for the same pubkey the last use wins.
// Default none.
func WithFunded(pubkey solana.PublicKey, lamports uint64) Option {
	return func(c *config) {
		if c.funded == nil {
			c.funded = map[solana.PublicKey]uint64{}
		}
		c.funded[pubkey] = lamports
	}
}

// WithLog sends the runtime's diagnostic output to w. Default: discarded, though
// its tail is still reported in start errors.
func WithLog(w io.Writer) Option { return func(c *config) { c.log = w } }

// WithStartTimeout bounds each start-up attempt after any first-time install.
// Default (also for d <= 0) 30s embedded, 120s test-validator. A failed
// embedded start is tried once more, so Start may take up to twice d.
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithCacheDir sets where the embedded launcher and its npm dependencies are
// installed. Default $SESSIONKIT_LOCALNET_CACHE, then
// os.UserCacheDir()/sessionkit/localnet.
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithValidatorPath sets the test-validator executable. Default
// "solana-test-validator" looked up in PATH.
func WithValidatorPath(path string) Option { return func(c *config) { c.validatorPath = path } }

// WithClone copies the accounts keys from the cluster at url when the cluster
// starts (solana-test-validator's --url and --clone), so only the
// test-validator backend accepts it. Each use adds keys, and the last url wins.
// Default none.
func WithClone(url string, keys ...solana.PublicKey) Option {
	return func(c *config) {
		c.cloneURL = url
		c.clone = append(c.clone, keys...)
	}
}

// Info describes a running Net, e.g. for printing as JSON by a CLI.
type Info struct {
	Backend Backend `json:"backend"`
	RPCURL  string  `json:"rpcUrl"`
	WSURL   string  `json:"wsUrl"`
	// PID is the runtime's process id (the launcher or the validator).
	PID int `json:"pid"`
	// StartupTime is from Start being called to the cluster being ready.
	StartupTime time.Duration `json:"startupNs"`
}

// Net is a running local cluster. Its methods are safe for concurrent use.
type Net struct {
	info   Info
	client *rpc.Client
	hashes *blockhashes
	sender *sender.Sender
	// faucet is a throwaway key created with a large balance at start; Fund
	// pays from it so that amounts are exact on every backend.
	faucet *txn.SessionKey
	proc   *process
	tmpDir string
	// logFile holds the validator's output until Close removes tmpDir.
	logFile io.Closer
	// clock is the embedded backend's wall-clock follower; nil on test-validator,
	// whose clock follows wall time by itself.
	clock *clockFollower

	closeOnce sync.Once
	closeErr  error
}

// Start launches a fresh cluster and returns once it answers RPC with every
// configured program and account in place. ctx bounds the start-up only; the
// cluster runs until Close.
func Start(ctx context.Context, opts ...Option) (*Net, error) {
	began := time.Now()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	backend, err := resolveBackend(cfg.backend)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(backend); err != nil {
		return nil, err
	}
	var n *Net
	switch backend {
	case Off:
		return nil, ErrDisabled
	case Embedded:
		n, err = startEmbedded(ctx, cfg)
		// surfpool 1.5.0 has been seen (once in about a hundred starts, under load) to
		// panic in its WebSocket server while starting and then never become ready; a
		// fresh process starts cleanly, so one retry, timeouts included, keeps a test run
		// from failing on the runtime's own flake.
		var se *StartError
		if errors.As(err, &se) && ctx.Err() == nil {
			n, err = startEmbedded(ctx, cfg)
		}
	case TestValidator:
		n, err = startValidator(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	n.info.Backend = backend
	n.info.StartupTime = time.Since(began)
	return n, nil
}

func resolveBackend(b Backend) (Backend, error) {
	if b == "" {
		b = Backend(os.Getenv(EnvBackend))
	}
	switch b {
	case "", Embedded:
		return Embedded, nil
	case TestValidator, Off:
		return b, nil
	}
	return "", &ConfigError{Field: "Backend", Reason: fmt.Sprintf("unknown backend %q (want %q, %q or %q)", b, Embedded, TestValidator, Off)}
}

func (cfg *config) validate(b Backend) error {
	seen := map[solana.PublicKey]string{}
	claim := func(pk solana.PublicKey, what string) error {
		if prev, ok := seen[pk]; ok {
			return &ConfigError{Field: what, Reason: fmt.Sprintf("%s is also given in %s", pk, prev)}
		}
		seen[pk] = what
		return nil
	}
	for _, p := range cfg.programs {
		if p.ID.IsZero() {
			return &ConfigError{Field: "Programs", Reason: "program without ID"}
		}
		if len(p.ELF) == 0 {
			return &ConfigError{Field: "Programs", Reason: fmt.Sprintf("program %s has no ELF", p.ID)}
		}
		// surfpool loads any bytes without complaint, so catch the gross
		// mistakes here; only package deploy runs the full verifier.
		if !bytes.HasPrefix(p.ELF, []byte("\x7fELF")) {
			return &ConfigError{Field: "Programs", Reason: fmt.Sprintf("program %s is not an ELF file", p.ID)}
		}
		if err := claim(p.ID, "Programs"); err != nil {
			return err
		}
	}
	for _, a := range cfg.accounts {
		if err := claim(a.Address, "Accounts"); err != nil {
			return err
		}
	}
	for pk := range cfg.funded {
		if err := claim(pk, "Funded"); err != nil {
			return err
		}
	}
	if b == Embedded && (cfg.cloneURL != "" || len(cfg.clone) > 0) {
		return fmt.Errorf("%w: cloning accounts from another cluster on the embedded backend", ErrUnsupported)
	}
	if len(cfg.clone) > 0 && cfg.cloneURL == "" {
		return &ConfigError{Field: "Clone", Reason: "needs CloneURL"}
	}
	return nil
}

// startAccounts lists every account to create at start, funded ones included.
func (cfg *config) startAccounts(faucet solana.PublicKey) []Account {
	out := append([]Account(nil), cfg.accounts...)
	out = append(out, Account{Address: faucet, Lamports: faucetLamports})
	for pk, lamports := range cfg.funded {
		out = append(out, Account{Address: pk, Lamports: lamports, Owner: solana.SystemProgramID})
	}
	return out
}

// faucetLamports is the funding account's balance: 100 million SOL.
const faucetLamports = 100_000_000 * solana.LAMPORTS_PER_SOL

func newFaucet() *txn.SessionKey {
	key, err := txn.GenerateSessionKey(nil)
	if err != nil {
		panic(err) // crypto/rand failed; nothing sensible to do
	}
	return key
}

// writeProgram writes p's ELF into dir for the runtime to load, and returns the path.
func writeProgram(dir string, p Program) (string, error) {
	path := filepath.Join(dir, p.ID.String()+".so")
	return path, os.WriteFile(path, p.ELF, 0o600)
}

// String names the backend and endpoint, never the keys a Net holds.
func (n *Net) String() string { return fmt.Sprintf("localnet(%s %s)", n.info.Backend, n.info.RPCURL) }

// RPC returns a client for the cluster's JSON-RPC endpoint.
func (n *Net) RPC() *rpc.Client { return n.client }

// RPCURL is the cluster's HTTP JSON-RPC endpoint.
func (n *Net) RPCURL() string { return n.info.RPCURL }

// WSURL is the cluster's WebSocket endpoint for subscriptions.
func (n *Net) WSURL() string { return n.info.WSURL }

// SenderOptions are what a sender.New for this cluster needs beyond its client:
// the WebSocket endpoint and the RPC endpoint, whose loopback host sets the
// sender's local defaults.
func (n *Net) SenderOptions() []sender.Option {
	return []sender.Option{sender.WithWebSocket(n.info.WSURL), sender.WithEndpoint(n.info.RPCURL)}
}

// Backend reports which runtime serves this Net.
func (n *Net) Backend() Backend { return n.info.Backend }

// Info describes the running cluster.
func (n *Net) Info() Info { return n.info }

// startSender sets up Net.Send once the cluster answers RPC; poll is how often
// signatures in flight are polled.
func (n *Net) startSender(poll time.Duration) error {
	cache, err := sender.NewBlockhashCache(n.client)
	if err != nil {
		return err
	}
	n.hashes = &blockhashes{cache: cache}
	n.sender, err = sender.New(n.client, sender.WithBlockhashCache(cache), sender.WithPollInterval(poll))
	return err
}

// refreshUses is how many hand-outs of one blockhash blockhashes allows.
const refreshUses = 50

// blockhashes fetches a new blockhash after refreshUses hand-outs of the cache's:
// surfpool makes every transaction a block and drops transactions whose
// blockhash is about 150 blocks old, which at a few hundred transactions a
// second comes sooner than the cache's timed refresh.
type blockhashes struct {
	cache *sender.BlockhashCache

	mu   sync.Mutex
	uses int
}

func (b *blockhashes) get(ctx context.Context) (sender.Blockhash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.uses >= refreshUses {
		return b.refreshLocked(ctx)
	}
	bh, err := b.cache.Get(ctx)
	if err == nil {
		b.uses++
	}
	return bh, err
}

func (b *blockhashes) refresh(ctx context.Context) (sender.Blockhash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refreshLocked(ctx)
}

func (b *blockhashes) refreshLocked(ctx context.Context) (sender.Blockhash, error) {
	cur, err := b.cache.Get(ctx)
	if err != nil {
		return cur, err
	}
	bh, err := b.cache.Refresh(ctx, cur.Hash)
	if err == nil {
		b.uses = 1
	}
	return bh, err
}

// RecentBlockhash returns a blockhash for new transactions. It is shared with
// Send and refreshed after 50 uses or a second, well before surfpool expires
// it (about 150 transactions), so callers need no refresh logic of their own.
func (n *Net) RecentBlockhash(ctx context.Context) (solana.Hash, error) {
	h, err := n.hashes.get(ctx)
	return h.Hash, err
}

// RefreshBlockhash fetches a new blockhash now, e.g. after a send failed
// with "blockhash not found".
func (n *Net) RefreshBlockhash(ctx context.Context) (solana.Hash, error) {
	h, err := n.hashes.refresh(ctx)
	return h.Hash, err
}

// Fund transfers exactly lamports to pubkey from the cluster's own funding
// account, which also pays the fee, and waits until the transfer is
// confirmed. As on any cluster, a new account must end up rent-exempt.
func (n *Net) Fund(ctx context.Context, pubkey solana.PublicKey, lamports uint64) error {
	ix := system.NewTransferInstruction(lamports, n.faucet.PublicKey(), pubkey).Build()
	// send signs through solana-go, which needs the raw key; the copy lives only for
	// this call.
	faucet := n.faucet.PrivateKey()
	defer clear(faucet)
	if _, err := n.send(ctx, faucet, []solana.Instruction{ix}); err != nil {
		return fmt.Errorf("localnet: funding %s with %d lamports: %w", pubkey, lamports, err)
	}
	return nil
}

// Send signs ixs with payer (the fee payer) and signers, sends them as one
// transaction and waits for confirmed commitment, re-signing with a fresh
// blockhash if the first one expires. A failed transaction is a
// *sender.FailedError whose message ends with the program logs. ixs must not be
// used concurrently elsewhere: solana-go writes to their account metas.
func (n *Net) Send(ctx context.Context, payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) (solana.Signature, error) {
	sig, err := n.send(ctx, payer, ixs, signers...)
	if err != nil {
		return sig, fmt.Errorf("localnet: send: %w", err)
	}
	return sig, nil
}

func (n *Net) send(ctx context.Context, payer solana.PrivateKey, ixs []solana.Instruction, signers ...solana.PrivateKey) (solana.Signature, error) {
	keys := map[solana.PublicKey]*solana.PrivateKey{payer.PublicKey(): &payer}
	for i := range signers {
		keys[signers[i].PublicKey()] = &signers[i]
	}
	// The sender reads the blockhash from the shared cache; taking one here
	// counts the send towards the next refresh.
	if _, err := n.hashes.get(ctx); err != nil {
		return solana.Signature{}, err
	}
	res, err := n.sender.Send(ctx, func(h solana.Hash) ([]byte, error) {
		tx, err := solana.NewTransaction(ixs, h, solana.TransactionPayer(payer.PublicKey()))
		if err != nil {
			return nil, err
		}
		if _, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey { return keys[pk] }); err != nil {
			return nil, err
		}
		return tx.MarshalBinary()
	})
	if err != nil {
		return solana.Signature{}, withLogs(err)
	}
	return res.Signature, nil
}

// withLogs appends a failed transaction's program logs to err's message, which
// is what a failing test prints.
func withLogs(err error) error {
	var te *sender.FailedError
	if !errors.As(err, &te) || len(te.Logs) == 0 {
		return err
	}
	return fmt.Errorf("%w\nprogram logs:\n  %s", err, strings.Join(te.Logs, "\n  "))
}

// NewFundedKey returns a fresh keypair holding exactly lamports.
func (n *Net) NewFundedKey(ctx context.Context, lamports uint64) (solana.PrivateKey, error) {
	key, err := solana.NewRandomPrivateKey()
	if err != nil {
		return nil, err
	}
	if err := n.Fund(ctx, key.PublicKey(), lamports); err != nil {
		return nil, err
	}
	return key, nil
}

// WarpTime moves the cluster clock to t, so expiry can be tested without
// waiting. Only the embedded backend can do it; others return ErrUnsupported.
// The embedded clock otherwise follows wall time, forward only: after a warp
// into the future it stays at t (give or take surfpool's own drift) until wall
// time passes t.
func (n *Net) WarpTime(ctx context.Context, t time.Time) error {
	if n.info.Backend != Embedded {
		return fmt.Errorf("%w: WarpTime on %s", ErrUnsupported, n.info.Backend)
	}
	if n.clock != nil {
		n.clock.mu.Lock()
		defer n.clock.mu.Unlock()
	}
	if err := timeTravel(ctx, n.client, t); err != nil {
		return fmt.Errorf("localnet: surfnet_timeTravel to %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	// Blocks produced before the jump are no longer recent.
	_, err := n.hashes.refresh(ctx)
	return err
}

// ClusterTime reads unix_timestamp from the Clock sysvar: the time programs see.
func (n *Net) ClusterTime(ctx context.Context) (time.Time, error) {
	unix, err := txn.ClusterTime(ctx, n.client, rpc.CommitmentConfirmed)
	if err != nil {
		return time.Time{}, fmt.Errorf("localnet: %w", err)
	}
	return time.Unix(unix, 0), nil
}

// Close stops the cluster, waits for its process group to exit and removes
// its temporary files. It is safe to call more than once.
func (n *Net) Close() error {
	n.closeOnce.Do(func() {
		if n.clock != nil {
			n.clock.close()
		}
		if n.sender != nil {
			n.sender.Close()
		}
		if n.hashes != nil {
			n.hashes.cache.Close()
		}
		if n.client != nil {
			_ = n.client.Close() // only drops idle connections
		}
		var errs []error
		if n.proc != nil {
			errs = append(errs, n.proc.stop(5*time.Second))
		}
		if n.logFile != nil {
			errs = append(errs, n.logFile.Close())
		}
		if n.tmpDir != "" {
			errs = append(errs, os.RemoveAll(n.tmpDir))
		}
		if err := errors.Join(errs...); err != nil {
			n.closeErr = fmt.Errorf("localnet: close: %w", err)
		}
	})
	return n.closeErr
}
