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

// Get fetches the token at address and validates it: owned by the session program, a
// V1 or V2 token account, stored at the address its own fields derive. ErrNotFound
// means no account is there; ErrMismatch wraps the client package's decoding error.
func (m *Manager) Get(ctx context.Context, address solana.PublicKey) (*TokenStatus, error) {
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, address, &rpc.GetAccountInfoOpts{
		Encoding: solana.EncodingBase64, Commitment: m.commitment,
	})
	if errors.Is(err, rpc.ErrNotFound) || (err == nil && res.Value == nil) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, address)
	}
	if err != nil {
		return nil, fmt.Errorf("session: fetching token %s: %w", address, err)
	}
	now, err := m.clock.now(ctx)
	if err != nil {
		return nil, err
	}
	return m.decodeToken(address, res.Value.Owner, res.Value.Lamports, res.Value.Data.GetBinary(), now)
}

// decodeToken decodes an account and checks that address is the token's own PDA.
func (m *Manager) decodeToken(address, owner solana.PublicKey, lamports uint64, data []byte, now int64) (*TokenStatus, error) {
	tok, err := client.DecodeToken(m.programID, owner, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMismatch, address, err)
	}
	want, _, err := m.pdas.Find(tok.Version, m.programID, tok.TargetProgram, tok.SessionSigner, tok.Authority)
	if err != nil {
		return nil, fmt.Errorf("session: deriving token address: %w", err)
	}
	if want != address {
		return nil, fmt.Errorf("%w: %s is not the address of its own seeds (%s)", ErrMismatch, address, want)
	}
	return &TokenStatus{TokenAccount: tok, Address: address, Lamports: lamports, Expired: !tok.Active(now)}, nil
}

// List returns every V1 and V2 session token of authority, only those for target when
// target is not nil, ordered by version, then valid_until, then address. It uses
// getProgramAccounts with dataSize and memcmp filters (discriminator, authority, target),
// so the RPC node must serve that method for the session program.
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
			t, err := m.decodeToken(a.Pubkey, a.Account.Owner, a.Account.Lamports, a.Account.Data.GetBinary(), now)
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
