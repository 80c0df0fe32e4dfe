// Package demo runs the session-key lifecycle end to end on an embedded local cluster —
// create, play with the ephemeral key alone, inspect, revoke and sweep — and reports it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/progress"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/tokenview"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

// Params tune the demo; the zero value is not valid, start from Defaults.
type Params struct {
	// Moves is how many move_player transactions the session key signs.
	Moves int
	// Concurrency is how many moves are in flight at once.
	Concurrency int
	// V2 creates a V2 token (create_session_v2) instead of V1 (create_session).
	V2 bool
	// Sponsor makes a second funded key pay rent and top-up (create_session_with_payer
	// for V1, the recorded fee payer for V2).
	Sponsor bool
	// TopUp is moved to the session signer to pay for its moves.
	TopUp uint64
	// ValidFor is the session's lifetime on the cluster's clock.
	ValidFor time.Duration
	// SessionELF is a build of the session program to run instead of sessionkit's own
	// (nil), e.g. an upstream session_keys.so.
	SessionELF []byte
	// Scoped grants the session 50 GOLD (the game's token) besides the SOL top-up, and
	// signs a permission grant with the create (0.01 SOL, 50 GOLD, 100 moves,
	// move_player and buy_item); shows a transfer over the grant's per-transaction
	// limit refused before signing, buys items through buy_item until the token program
	// refuses one for lack of tokens, and shows the tokens returned by the revoke. Moves
	// plus purchases must fit the grant's 100 (ScopedMoves by default).
	Scoped bool
}

// Defaults are the demo's defaults: 100 moves, 4 in flight, a V1 session with the
// program's default 0.01 SOL top-up, valid for an hour.
func Defaults() Params {
	return Params{Moves: 100, Concurrency: 4, TopUp: client.DefaultTopUpLamports, ValidFor: time.Hour}
}

// Funding is what the authority (and the sponsor) start with.
const Funding = 2 * solana.LAMPORTS_PER_SOL

// localPoll is the sender's status poll: the local cluster confirms in milliseconds,
// and polling beats its WebSocket, which can drop notifications (see the README's integration-test section).
const localPoll = 25 * time.Millisecond

// ErrBadOptions means options the demo cannot run with.
var ErrBadOptions = errors.New("demo: invalid options")

// Run performs the demo. Progress is drawn on pr (nil or silent for none).
func Run(ctx context.Context, opt Params, pr *progress.Reporter) (*Report, error) {
	if opt.Moves < 1 || opt.Concurrency < 1 || opt.ValidFor <= 0 {
		return nil, fmt.Errorf("%w: moves and concurrency must be at least 1, valid-for positive", ErrBadOptions)
	}
	// The session signer pays for its moves and for the revoke (up to two signatures).
	need := uint64(opt.Moves+2) * feeBound
	if opt.Scoped {
		need += purchases * feeBound
	}
	if opt.TopUp < need {
		return nil, fmt.Errorf("%w: a top-up of %d lamports cannot pay for %d moves and the revoke (at least %d lamports)",
			ErrBadOptions, opt.TopUp, opt.Moves, need)
	}
	if opt.Scoped && opt.SessionELF != nil {
		return nil, fmt.Errorf("%w: --scoped runs on sessionkit's own session build", ErrBadOptions)
	}
	if opt.Scoped && opt.Moves+purchases > scopedMaxUses {
		return nil, fmt.Errorf("%w: --scoped grants %d moves in all, %d of them purchases: at most %d moves", ErrBadOptions,
			scopedMaxUses, purchases, scopedMaxUses-purchases)
	}
	r := &Report{started: time.Now()}
	d := &run{opt: opt, pr: pr, r: r, game: examplegame.Game{ID: examplegame.ProgramID}}
	defer d.close()
	steps := []func(context.Context) error{d.start, d.checkPrograms, d.fund, d.create, d.play, d.verifyMoves, d.inspect, d.revoke}
	if opt.Scoped {
		steps = []func(context.Context) error{d.start, d.checkPrograms, d.fund, d.scopedGame, d.create, d.play, d.shop, d.verifyMoves, d.inspect, d.revoke}
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	r.Fees = r.fees()
	var err error
	if r.Metrics, err = collect(ctx, d.metrics); err != nil {
		return nil, err
	}
	r.Total = time.Since(r.started)
	return r, nil
}

// feeBound is the fee of one signature at the default 5,000 lamports.
const feeBound = 5_000

// run is one demo in progress.
type run struct {
	metrics *sdkmetric.ManualReader
	opt     Params
	pr      *progress.Reporter
	r       *Report
	game    examplegame.Game

	net       *localnet.Net
	rpc       *rpc.Client
	snd       *sender.Sender
	mgr       *session.Manager
	authority solana.PrivateKey
	sponsor   *txn.SessionKey
	player    solana.PublicKey
	sess      *session.Session
	moveSigs  []solana.Signature
	// The scoped demo's token: its mint, the authority's and the treasury's accounts.
	mint, walletGold, treasury solana.PublicKey
}

func (d *run) close() {
	if d.snd != nil {
		d.snd.Close()
	}
	if d.net != nil {
		_ = d.net.Close()
	}
}

// timed runs f under a spinner labelled label and records its duration as step name.
func (d *run) timed(name, label string, f func() error) error {
	task := d.pr.Start(label)
	t0 := time.Now()
	err := f()
	task.Done()
	d.r.Steps = append(d.r.Steps, Step{Name: name, Elapsed: time.Since(t0)})
	return err
}

func (d *run) start(ctx context.Context) error {
	return d.timed("start", "Starting the embedded local cluster (the first run also installs its npm packages)", func() error {
		n, err := localnet.Start(ctx, localnet.WithPrograms(
			localnet.Program{ID: pda.MagicBlockProgramID, ELF: d.sessionELF()},
			localnet.Program{ID: d.game.ID, ELF: examplegame.ELF()},
		))
		if err != nil {
			return err
		}
		d.net = n
		info := n.Info()
		d.r.Cluster = Cluster{Backend: string(info.Backend), RPCURL: info.RPCURL, WSURL: info.WSURL}
		d.rpc = sender.NewRPCClient(n.RPCURL(), nil)
		var mp *sdkmetric.MeterProvider
		mp, d.metrics = newMeter()
		d.snd, err = sender.New(d.rpc, sender.WithPollInterval(localPoll), sender.WithMeterProvider(mp))
		if err != nil {
			return err
		}
		d.mgr = session.NewManager(d.rpc, d.snd)
		return nil
	})
}

func (d *run) sessionELF() []byte {
	if d.opt.SessionELF != nil {
		return d.opt.SessionELF
	}
	return gplsession.ELF()
}

func (d *run) sessionName() string {
	if d.opt.SessionELF != nil {
		return "gpl_session (the given build)"
	}
	return "gpl_session (sessionkit build)"
}

func (d *run) checkPrograms(ctx context.Context) error {
	return d.timed("programs", "Checking the loaded programs", func() error {
		for _, p := range []struct {
			id   solana.PublicKey
			name string
			size int
		}{
			{pda.MagicBlockProgramID, d.sessionName(), len(d.sessionELF())},
			{d.game.ID, "example game", len(examplegame.ELF())},
		} {
			acct, err := d.rpc.GetAccountInfoWithOpts(ctx, p.id, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
			if err != nil {
				return fmt.Errorf("demo: program %s: %w", p.id, err)
			}
			if !acct.Value.Executable {
				return fmt.Errorf("demo: program %s is not executable", p.id)
			}
			d.r.Programs = append(d.r.Programs, Program{ID: p.id.String(), Name: p.name, ELFBytes: p.size,
				Owner: acct.Value.Owner.String()})
		}
		return nil
	})
}

func (d *run) fund(ctx context.Context) error {
	return d.timed("fund", "Funding the authority and creating its player account", func() error {
		var err error
		if d.authority, err = d.net.NewFundedKey(ctx, Funding); err != nil {
			return err
		}
		d.r.Authority = d.authority.PublicKey().String()
		if d.opt.Sponsor {
			sponsor, err := d.net.NewFundedKey(ctx, Funding)
			if err != nil {
				return err
			}
			if d.sponsor, err = txn.SessionKeyFromPrivateKey(sponsor); err != nil {
				return err
			}
			d.r.Sponsor = d.sponsor.PublicKey().String()
		}
		if d.player, err = d.game.Player(d.authority.PublicKey()); err != nil {
			return err
		}
		ix, err := d.game.InitPlayer(d.authority.PublicKey())
		if err != nil {
			return err
		}
		if _, err = d.net.Send(ctx, d.authority, []solana.Instruction{ix}); err != nil {
			return fmt.Errorf("demo: init_player: %w", err)
		}
		d.r.Player = d.player.String()
		return nil
	})
}

func (d *run) create(ctx context.Context) error {
	p := session.CreateParams{Kind: session.KindV1, TargetProgram: d.game.ID, ValidFor: d.opt.ValidFor, TopUp: d.opt.TopUp}
	if d.opt.Sponsor {
		p.Kind, p.Payer = session.KindV1WithPayer, d.sponsor
	}
	if d.opt.V2 {
		p.Kind = session.KindV2
	}
	if d.opt.Scoped {
		p.Tokens, p.Grant = d.scopedGrant(), d.scopedPermissions()
	}
	if err := d.balances(ctx, "before"); err != nil {
		return err
	}
	err := d.timed("create", "Creating the session ("+p.Kind.String()+"), signed once by the authority", func() error {
		var err error
		d.sess, err = d.mgr.Create(ctx, d.authority, p)
		return err
	})
	if err != nil {
		return fmt.Errorf("demo: create: %w", err)
	}
	if d.opt.Scoped {
		if err := d.checkMemo(ctx); err != nil {
			return err
		}
	}
	s := d.sess
	d.r.Session = Session{Instruction: p.Kind.String(), Version: int(s.Version()), Token: s.Token().String(),
		Signer: s.SessionSigner().String(), FeePayer: s.FeePayer().String(), ValidUntil: s.ValidUntil(), TopUp: d.opt.TopUp}
	return d.balances(ctx, "afterCreate")
}

// play sends the moves, Concurrency at a time, each signed by the session key alone.
func (d *run) play(ctx context.Context) error {
	n := d.opt.Moves
	d.moveSigs = make([]solana.Signature, n)
	task := d.pr.Count("Playing moves signed only by the session key", n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		next  int
		first error
	)
	t0 := time.Now()
	for range min(d.opt.Concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n || ctx.Err() != nil {
					return
				}
				move := d.game.Move(d.player, d.sess.SessionSigner(), d.sess.Token(), examplegame.Right)
				res, err := d.sess.Send(ctx, []solana.Instruction{move})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("demo: move %d: %w", i+1, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				d.moveSigs[i] = res.Signature
				task.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	task.Done()
	if first != nil {
		return first
	}
	d.r.Steps = append(d.r.Steps, Step{Name: "moves", Elapsed: elapsed})
	d.r.Moves = Moves{Count: n, Concurrency: min(d.opt.Concurrency, n), Elapsed: elapsed,
		PerSecond: float64(n) / elapsed.Seconds()}
	if d.opt.Scoped {
		return nil // the purchases come first; shop's balances are taken after them
	}
	return d.balances(ctx, "afterMoves")
}

// verifyMoves reads every move back from the chain: the player moved n steps, and each
// transaction carries exactly one signature, the session signer's, as fee payer.
func (d *run) verifyMoves(ctx context.Context) error {
	return d.timed("verify", "Reading the moves back from the chain", func() error {
		acct, err := d.rpc.GetAccountInfoWithOpts(ctx, d.player, &rpc.GetAccountInfoOpts{
			Encoding: solana.EncodingBase64, Commitment: rpc.CommitmentConfirmed})
		if err != nil {
			return fmt.Errorf("demo: reading the player: %w", err)
		}
		pl, err := examplegame.DecodePlayer(acct.Value.Data.GetBinary())
		if err != nil {
			return err
		}
		d.r.Moves.PlayerX, d.r.Moves.PlayerY, d.r.Moves.PlayerMoves = pl.X, pl.Y, pl.Moves
		version := uint64(0)
		signer := d.sess.SessionSigner()
		for _, sig := range d.moveSigs {
			res, err := d.rpc.GetTransaction(ctx, sig, &rpc.GetTransactionOpts{Encoding: solana.EncodingBase64,
				Commitment: rpc.CommitmentConfirmed, MaxSupportedTransactionVersion: &version})
			if err != nil {
				return fmt.Errorf("demo: reading move %s: %w", sig, err)
			}
			tx, err := res.Transaction.GetTransaction()
			if err != nil {
				return err
			}
			if len(tx.Signatures) == 1 && tx.Message.AccountKeys[0] == signer {
				d.r.Moves.SignedBySessionKeyOnly++
			}
			d.r.Moves.Fees += res.Meta.Fee
		}
		d.r.Moves.FirstSignature = d.moveSigs[0].String()
		d.r.Moves.LastSignature = d.moveSigs[len(d.moveSigs)-1].String()
		return nil
	})
}

func (d *run) inspect(ctx context.Context) error {
	return d.timed("inspect", "Inspecting the token", func() error {
		ins, err := d.mgr.Check(ctx, d.sess.Token(), client.Expected{NoTransaction: true})
		if ins == nil {
			return err
		}
		d.r.Token = tokenview.New(d.mgr.ProgramID(), ins, err)
		left, err := d.sess.Remaining(ctx)
		if err != nil {
			return err
		}
		d.r.Token.SetCaps(left.Chain)
		if left.Grant != nil {
			d.r.Token.SetGrantLeft(left.Grant)
		}
		return nil
	})
}

func (d *run) revoke(ctx context.Context) error {
	var p session.RevokeParams
	if d.sess.Version() == pda.V2 {
		// An active V2 token needs its authority's signature.
		var err error
		if p.Authority, err = txn.SessionKeyFromPrivateKey(d.authority); err != nil {
			return fmt.Errorf("demo: revoke: %w", err)
		}
	}
	err := d.timed("revoke", "Revoking the session and sweeping its lamports back", func() error {
		res, err := d.mgr.Revoke(ctx, d.sess, p)
		if err != nil {
			return err
		}
		d.r.Revoke = Revoke{Signature: res.Signature.String(), Rent: *d.r.Token.Lamports, Swept: res.Swept,
			SweptTo: res.SweptTo.String(), Fee: res.Fee}
		for _, t := range res.Tokens {
			d.r.Revoke.TokenRent += t.Rent
			if d.r.Scoped != nil && t.Mint == d.mint {
				d.r.Scoped.TokensReturned += t.Amount
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: revoke: %w", err)
	}
	if _, err := d.mgr.Get(ctx, d.sess.Token()); !errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("demo: the token is still there after the revoke (%v)", err)
	}
	return d.balances(ctx, "afterRevoke")
}

// balances records every party's balance at a point of the lifecycle.
func (d *run) balances(ctx context.Context, at string) error {
	type party struct {
		name string
		key  solana.PublicKey
	}
	parties := []party{{"authority", d.authority.PublicKey()}}
	if d.sponsor != nil {
		parties = append(parties, party{"sponsor", d.sponsor.PublicKey()})
	}
	if d.sess != nil {
		parties = append(parties, party{"session signer", d.sess.SessionSigner()}, party{"session token", d.sess.Token()})
	}
	if d.opt.Scoped {
		if d.sess != nil {
			// The session's GOLD account holds rent the payer gets back at revoke.
			ata, err := spl.AssociatedTokenAddress(d.sess.SessionSigner(), d.mint, spl.TokenProgramID)
			if err != nil {
				return err
			}
			parties = append(parties, party{"session GOLD account", ata})
		}
		if err := d.tokenBalances(ctx, at); err != nil {
			return err
		}
	}
	for _, p := range parties {
		bal, err := d.rpc.GetBalance(ctx, p.key, rpc.CommitmentConfirmed)
		if err != nil {
			return fmt.Errorf("demo: balance of the %s: %w", p.name, err)
		}
		d.r.balance(p.name, p.key.String()).set(at, bal.Value)
	}
	return nil
}
