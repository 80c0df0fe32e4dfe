package demo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The scoped demo's game token: GOLD with 6 decimals, of which the authority holds
// 1,000 and grants the session 50; items cost 15, so the fourth purchase is refused.
const (
	goldDecimals = 6
	goldUnit     = 1_000_000
	goldSupply   = 1_000 * goldUnit
	goldGrant    = 50 * goldUnit
	itemPrice    = 15 * goldUnit
	// purchases is how many buy_item the session tries: the last one finds too few
	// tokens in the session's account.
	purchases = 4
	// The grant: at most scopedMaxUses moves and purchases, goldPerTx GOLD a
	// transaction; tooBig is the transfer the policy refuses before signing.
	scopedMaxUses = 100
	goldPerTx     = 20 * goldUnit
	tooBig        = 25 * goldUnit
)

// ScopedMoves is the scoped demo's default number of moves: with the purchases, the
// grant's 100 moves in all.
const ScopedMoves = scopedMaxUses - purchases

// Scoped is what the scoped demo adds: the game token, the grant and the purchases.
type Scoped struct {
	Mint     string `json:"mint"`
	Treasury string `json:"treasury"`
	// SessionTokenAccount is the session signer's GOLD account, holding its token cap.
	SessionTokenAccount string `json:"sessionTokenAccount"`
	GrantedSOL          uint64 `json:"grantedSolLamports"`
	GrantedTokens       uint64 `json:"grantedTokens"`
	ItemPrice           uint64 `json:"itemPrice"`
	Bought              int    `json:"itemsBought"`
	// Grant is the permission grant the authority signed (its canonical JSON), GrantHash
	// its SHA-256, which the create transaction's memo carries; MemoCheck is "match"
	// when the memo on chain says the same.
	Grant     json.RawMessage `json:"grant"`
	GrantHash string          `json:"grantSha256"`
	MemoCheck string          `json:"memoCheck"`
	// PolicyRefusal is the move sessionkit refused before signing: a direct transfer
	// beyond the grant's per-transaction GOLD limit.
	PolicyRefusal *Refusal `json:"policyRefusal"`
	// Refused is the on-chain refusal of the purchase beyond the cap.
	Refused string `json:"refusedPurchase"`
	// TokensReturned is what the revoke moved back to the authority.
	TokensReturned uint64 `json:"tokensReturned"`
}

// Refusal is a move refused before signing, with the numbers of the bound it passed.
type Refusal struct {
	Error     string `json:"error"`
	Bound     string `json:"bound"`
	Limit     uint64 `json:"limit"`
	Requested uint64 `json:"requested"`
	// Signed is false: nothing reached the chain.
	Signed bool `json:"signed"`
}

// scopedGame makes the game's token: a mint owned by a game key, GOLD for the
// authority, and the treasury's account that buy_item pays into.
func (d *run) scopedGame(ctx context.Context) error {
	game, err := d.net.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		return err
	}
	mint := solana.NewWallet().PrivateKey
	rent, err := d.rpc.GetMinimumBalanceForRentExemption(ctx, spl.MintLen, rpc.CommitmentConfirmed)
	if err != nil {
		return err
	}
	init, err := spl.InitializeMint2(spl.TokenProgramID, mint.PublicKey(), game.PublicKey(), goldDecimals)
	if err != nil {
		return err
	}
	treasuryOwner, err := d.game.Treasury()
	if err != nil {
		return err
	}
	ixs := []solana.Instruction{system.NewCreateAccountInstruction(rent, spl.MintLen, spl.TokenProgramID, game.PublicKey(), mint.PublicKey()).Build(), init}
	for _, owner := range []solana.PublicKey{d.authority.PublicKey(), treasuryOwner} {
		ix, err := spl.CreateIdempotent(game.PublicKey(), owner, mint.PublicKey(), spl.TokenProgramID)
		if err != nil {
			return err
		}
		ixs = append(ixs, ix)
	}
	d.walletGold, err = spl.AssociatedTokenAddress(d.authority.PublicKey(), mint.PublicKey(), spl.TokenProgramID)
	if err != nil {
		return err
	}
	mintTo, err := spl.MintTo(spl.TokenProgramID, mint.PublicKey(), d.walletGold, game.PublicKey(), goldSupply)
	if err != nil {
		return err
	}
	if _, err := d.net.Send(ctx, game, append(ixs, mintTo), mint); err != nil {
		return fmt.Errorf("demo: making the game token: %w", err)
	}
	d.mint = mint.PublicKey()
	if d.treasury, err = d.game.TreasuryAccount(d.mint, spl.TokenProgramID); err != nil {
		return err
	}
	d.r.Scoped = &Scoped{Mint: d.mint.String(), Treasury: d.treasury.String(), GrantedSOL: d.opt.TopUp, GrantedTokens: goldGrant, ItemPrice: itemPrice}
	return nil
}

// shop buys items with the session key until the token program refuses one.
func (d *run) shop(ctx context.Context) error {
	if err := d.buy(ctx); err != nil {
		return err
	}
	return d.balances(ctx, "afterMoves")
}

func (d *run) buy(ctx context.Context) error {
	return d.timed("shop", "Buying items with the session's GOLD (buy_item, by CPI to the token program)", func() error {
		source := d.sess.TokenGrants()[0].Account
		d.r.Scoped.SessionTokenAccount = source.String()
		if err := d.overLimit(ctx, source); err != nil {
			return err
		}
		for i := range purchases {
			buy, err := d.game.BuyItem(examplegame.Purchase{Player: d.player, Signer: d.sess.SessionSigner(), Token: d.sess.Token(),
				Source: source, Mint: d.mint, TokenProgram: spl.TokenProgramID, Amount: itemPrice})
			if err != nil {
				return err
			}
			_, err = d.sess.Send(ctx, []solana.Instruction{buy})
			var pe *txn.ProgramError
			switch {
			case err == nil:
				d.r.Scoped.Bought++
			case i == purchases-1 && errors.As(err, &pe) && pe.ProgramID != nil && *pe.ProgramID == spl.TokenProgramID && pe.Code == 1:
				d.r.Scoped.Refused = fmt.Sprintf("the token program refused purchase %d: insufficient funds (%d left, %d asked)",
					i+1, goldGrant-uint64(d.r.Scoped.Bought)*itemPrice, itemPrice)
			default:
				return fmt.Errorf("demo: purchase %d: %w", i+1, err)
			}
		}
		if d.r.Scoped.Refused == "" {
			return errors.New("demo: the purchase beyond the cap was not refused")
		}
		return nil
	})
}

// overLimit tries a direct transfer of 25 GOLD to the treasury, over the grant's 20
// a transaction: the guard measures it from the compiled message and refuses it before
// the key signs.
func (d *run) overLimit(ctx context.Context, source solana.PublicKey) error {
	// The Token program is allowed so that direct transfers are judged by the grant's
	// limits (a program not allowed is refused whatever it does).
	d.sess.AllowPrograms(spl.TokenProgramID)
	ix, err := spl.TransferChecked(spl.TokenProgramID, source, d.mint, d.treasury, d.sess.SessionSigner(), tooBig, goldDecimals)
	if err != nil {
		return err
	}
	_, err = d.sess.Send(ctx, []solana.Instruction{ix})
	var re *guard.RefusedError
	if !errors.As(err, &re) || !errors.Is(err, guard.ErrSpendLimit) {
		return fmt.Errorf("demo: a transfer of %s GOLD, over the grant's %s a transaction, was not refused before signing (%v)", gold(tooBig), gold(goldPerTx), err)
	}
	d.r.Scoped.PolicyRefusal = &Refusal{Error: err.Error(), Bound: grant.TypeTokenLimit + " perTransaction", Limit: goldPerTx, Requested: tooBig}
	return nil
}

// scopedGrant is the token grant of the create: the chain's cap.
func (d *run) scopedGrant() []session.TokenGrant {
	return []session.TokenGrant{{Mint: d.mint, Amount: goldGrant}}
}

// scopedPermissions is the permission grant the authority signs with the create: 0.01
// SOL and 50 GOLD in all (20 GOLD a transaction), at most 100 moves, move_player and
// buy_item only. buy_item spends by CPI, which the static guard does not see; the
// session's token account (the chain) caps it. A "simulate" limit would count it too,
// but it would also refuse the purchase the chain is to refuse, before signing.
func (d *run) scopedPermissions() *grant.Grant {
	sol, total, perTx := grant.Amount(d.opt.TopUp), grant.Amount(goldGrant), grant.Amount(goldPerTx)
	return &grant.Grant{
		TargetProgram: d.game.ID,
		Native:        &grant.Limit{Total: &sol},
		Tokens:        []grant.TokenLimit{{Mint: d.mint, Limit: grant.Limit{PerTransaction: &perTx, Total: &total}}},
		Instructions:  []string{"move_player", "buy_item"},
		MaxUses:       scopedMaxUses,
	}
}

// checkMemo reads the create transaction back and checks its memo against the grant.
func (d *run) checkMemo(ctx context.Context) error {
	st := d.sess.Grant()
	d.r.Scoped.Grant, d.r.Scoped.GrantHash = st.Canonical, hex.EncodeToString(st.Hash[:])
	c, err := d.mgr.CheckGrant(ctx, session.CheckGrantParams{Token: d.sess.Token(), Authority: d.authority.PublicKey(),
		Grant: st.Canonical, CreateSignature: d.sess.CreateSignature()})
	if err != nil {
		return fmt.Errorf("demo: checking the grant's memo: %w", err)
	}
	if c.Match() {
		d.r.Scoped.MemoCheck = "match"
	}
	return nil
}

// tokenBalances records every party's GOLD at a point of the lifecycle.
func (d *run) tokenBalances(ctx context.Context, at string) error {
	type party struct {
		name string
		key  solana.PublicKey
	}
	parties := []party{{"authority", d.walletGold}, {"treasury", d.treasury}}
	if d.sess != nil {
		ata, err := spl.AssociatedTokenAddress(d.sess.SessionSigner(), d.mint, spl.TokenProgramID)
		if err != nil {
			return err
		}
		parties = append(parties, party{"session signer", ata})
	}
	for _, p := range parties {
		var amount uint64
		res, err := d.rpc.GetAccountInfoWithOpts(ctx, p.key, &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
		switch {
		case errors.Is(err, rpc.ErrNotFound):
		case err != nil:
			return fmt.Errorf("demo: GOLD of the %s: %w", p.name, err)
		default:
			a, err := spl.DecodeTokenAccount(res.Value.Data.GetBinary())
			if err != nil {
				return err
			}
			amount = a.Amount
		}
		d.r.tokenBalance(p.name, p.key.String()).set(at, amount)
	}
	return nil
}
