package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
)

// TokenStatus is a session token account as read from the chain.
type TokenStatus struct {
	client.TokenAccount
	Address  solana.PublicKey
	Lamports uint64
	// Expired is the token's state by the cluster clock when it was read: expired once
	// the cluster's unix_timestamp reaches ValidUntil, for V1 and V2 alike.
	Expired bool
}

// Account is an account as read from the chain, without its data.
type Account struct {
	Lamports   uint64
	Owner      solana.PublicKey
	Executable bool
	// RentEpoch is nil when the node reports none, or one beyond uint64.
	RentEpoch *uint64
	// Len is the length of the account's data.
	Len int
}

// Inspection is what Check read at an address, and the cluster time it judged it by.
type Inspection struct {
	Address     solana.PublicKey
	ClusterTime int64
	// Account is nil when no account is at Address.
	Account *Account
	// Token is set when the account passes steps a and b (owner, discriminator and
	// length), even when a later check fails.
	Token *TokenStatus
}

// Check fetches the account at address and judges it with client.ValidateSessionToken,
// at the cluster time of the Manager's clock and under the Manager's session program
// (want's ProgramID and ClusterTime are ignored). Zero keys in want take the token's
// own, so client.Expected{NoTransaction: true} asks whether the account is a token at
// its own PDA.
//
// The error is ErrNotFound when no account is there, or the *client.ValidationError of
// the first failed check; the Inspection says what was read either way. It is nil only
// when reading failed.
func (m *Manager) Check(ctx context.Context, address solana.PublicKey, want client.Expected) (*Inspection, error) {
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, address, &rpc.GetAccountInfoOpts{
		Encoding: solana.EncodingBase64, Commitment: m.commitment,
	})
	notFound := errors.Is(err, rpc.ErrNotFound) || (err == nil && res.Value == nil)
	if err != nil && !notFound {
		return nil, fmt.Errorf("session: fetching token %s: %w", address, err)
	}
	now, err := m.clock.now(ctx)
	if err != nil {
		return nil, err
	}
	ins := &Inspection{Address: address, ClusterTime: now}
	if notFound {
		return ins, fmt.Errorf("%w: %s", ErrNotFound, address)
	}
	acct, data := res.Value, res.Value.Data.GetBinary()
	ins.Account = &Account{Lamports: acct.Lamports, Owner: acct.Owner, Executable: acct.Executable, Len: len(data)}
	if acct.RentEpoch != nil && acct.RentEpoch.IsUint64() {
		rentEpoch := acct.RentEpoch.Uint64()
		ins.Account.RentEpoch = &rentEpoch
	}
	ins.Token, err = m.judge(address, acct.Owner, acct.Lamports, data, want, now)
	return ins, err
}

// judge runs client.ValidateSessionToken on account data under the Manager's program.
func (m *Manager) judge(address, owner solana.PublicKey, lamports uint64, data []byte, want client.Expected, now int64) (*TokenStatus, error) {
	want.ProgramID, want.ClusterTime = m.programID, now
	if want.Cache == nil {
		want.Cache = m.pdas
	}
	tok, err := client.ValidateSessionToken(address, owner, data, want)
	if !tok.Version.Valid() {
		return nil, err
	}
	return &TokenStatus{TokenAccount: tok, Address: address, Lamports: lamports, Expired: !tok.Active(now)}, err
}

// byItself judges a token by its own fields: the program creates tokens only at their
// own PDA, so anything else at an address is not the token its data names.
var byItself = client.Expected{NoTransaction: true}

// asToken is the verdict of Get and List on a token judged by itself: an expired token
// is still a token (its Expired flag says so); any other failed check is a mismatch.
func asToken(tok *TokenStatus, err error) (*TokenStatus, error) {
	var ve *client.ValidationError
	switch {
	case err == nil || errors.Is(err, client.ErrExpired):
		return tok, nil
	case errors.As(err, &ve):
		return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
	}
	return nil, err
}

// Get fetches the token at address and validates it by itself (Check with
// client.Expected{NoTransaction: true}): owned by the session program, a V1 or V2 token
// account, stored at the address its own fields derive. An expired token is returned
// with Expired set. ErrNotFound means no account is there; ErrMismatch wraps the
// *client.ValidationError of any other failed check.
func (m *Manager) Get(ctx context.Context, address solana.PublicKey) (*TokenStatus, error) {
	ins, err := m.Check(ctx, address, byItself)
	if ins == nil || errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return asToken(ins.Token, err)
}

// List returns every V1 and V2 session token of authority, only those for target when
// target is not nil, ordered by version, then valid_until, then address. It uses
// getProgramAccounts with dataSize and memcmp filters (discriminator, authority, target),
// so the RPC node must serve that method for the session program. Each token is judged
// as Get judges it.
func (m *Manager) List(ctx context.Context, authority solana.PublicKey, target *solana.PublicKey) ([]*TokenStatus, error) {
	now, err := m.clock.now(ctx)
	if err != nil {
		return nil, err
	}
	var out []*TokenStatus
	for _, v := range []pda.Version{pda.V1, pda.V2} {
		disc, _ := client.TokenDiscriminator(v)
		size := uint64(client.SessionTokenLen)
		if v == pda.V2 {
			size = client.SessionTokenV2Len
		}
		filters := []rpc.RPCFilter{
			{DataSize: size},
			{Memcmp: &rpc.RPCFilterMemcmp{Offset: 0, Bytes: disc[:]}},
			{Memcmp: &rpc.RPCFilterMemcmp{Offset: 8, Bytes: authority[:]}},
		}
		if target != nil {
			filters = append(filters, rpc.RPCFilter{Memcmp: &rpc.RPCFilterMemcmp{Offset: 40, Bytes: target[:]}})
		}
		accts, err := m.rpc.GetProgramAccountsWithOpts(ctx, m.programID, &rpc.GetProgramAccountsOpts{
			Commitment: m.commitment, Encoding: solana.EncodingBase64, Filters: filters,
		})
		if err != nil {
			return nil, fmt.Errorf("session: listing v%d tokens of %s: %w", v, authority, err)
		}
		for _, a := range accts {
			t, err := asToken(m.judge(a.Pubkey, a.Account.Owner, a.Account.Lamports, a.Account.Data.GetBinary(), byItself, now))
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *TokenStatus) int {
		return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(a.ValidUntil, b.ValidUntil),
			slices.Compare(a.Address[:], b.Address[:]))
	})
	return out, nil
}
