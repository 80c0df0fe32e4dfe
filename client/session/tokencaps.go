package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/spl"
)

// storedCap is one TokenCap as a store keeps it: what was granted at create, never
// what remains (that is the chain's to say).
type storedCap struct {
	Mint     string `json:"mint"`
	Program  string `json:"program"`
	Mode     string `json:"mode"`
	Decimals uint8  `json:"decimals"`
	Account  string `json:"account"`
	// Granted and Arrived are decimal strings: a JSON number loses precision past 2^53
	// in most readers.
	Granted string `json:"granted"`
	Arrived string `json:"arrived"`
}

// maxStoredCaps bounds a decoded list; a create fits far fewer grants in a transaction.
const maxStoredCaps = 32

// encodeTokenCaps is the stored form of a session's token caps granted at create
// (Snapshot.Tokens): JSON, public data only. What remains is not stored; Caps reads it.
func encodeTokenCaps(caps []TokenCap) ([]byte, error) {
	if len(caps) > maxStoredCaps {
		return nil, fmt.Errorf("%w: %d token caps, at most %d", ErrBadParams, len(caps), maxStoredCaps)
	}
	out := make([]storedCap, len(caps))
	for i, c := range caps {
		if err := checkCap(c); err != nil {
			return nil, fmt.Errorf("%w: token cap %d: %s", ErrBadParams, i, err)
		}
		out[i] = storedCap{Mint: c.Mint.String(), Program: c.Program.String(), Mode: c.Mode.String(), Decimals: c.Decimals,
			Account: c.Account.String(), Granted: strconv.FormatUint(c.Granted, 10), Arrived: strconv.FormatUint(c.Arrived, 10)}
	}
	return json.Marshal(out)
}

// TokenCapsError is a stored token-cap list that does not decode; Reason says why.
type TokenCapsError struct{ Reason string }

func (e *TokenCapsError) Error() string { return "session: stored token caps: " + e.Reason }

// Unwrap makes the error match ErrBadParams.
func (e *TokenCapsError) Unwrap() error { return ErrBadParams }

// decodeTokenCaps parses what encodeTokenCaps made, strictly: unknown fields, bad keys,
// programs other than Token and Token-2022, unknown modes and a mint twice are refused
// with a *TokenCapsError. Remaining is zero in what it returns.
func decodeTokenCaps(b []byte) ([]TokenCap, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in []storedCap
	if err := dec.Decode(&in); err != nil {
		return nil, &TokenCapsError{Reason: err.Error()}
	}
	if dec.More() {
		return nil, &TokenCapsError{Reason: "data after the list"}
	}
	if len(in) > maxStoredCaps {
		return nil, &TokenCapsError{Reason: fmt.Sprintf("%d caps, at most %d", len(in), maxStoredCaps)}
	}
	out := make([]TokenCap, len(in))
	for i, s := range in {
		c, err := decodeCap(s)
		if err != nil {
			return nil, &TokenCapsError{Reason: fmt.Sprintf("cap %d: %s", i, err)}
		}
		for _, prev := range out[:i] {
			if prev.Mint == c.Mint {
				return nil, &TokenCapsError{Reason: fmt.Sprintf("cap %d: mint %s twice", i, c.Mint)}
			}
		}
		out[i] = c
	}
	return out, nil
}

func decodeCap(s storedCap) (TokenCap, error) {
	var c TokenCap
	var err error
	for _, f := range []struct {
		name string
		s    string
		to   *solana.PublicKey
	}{{"mint", s.Mint, &c.Mint}, {"program", s.Program, &c.Program}, {"account", s.Account, &c.Account}} {
		if *f.to, err = solana.PublicKeyFromBase58(f.s); err != nil {
			return c, fmt.Errorf("%s %q: %v", f.name, f.s, err)
		}
	}
	switch s.Mode {
	case TokenTopUp.String():
		c.Mode = TokenTopUp
	case TokenDelegate.String():
		c.Mode = TokenDelegate
	default:
		return c, fmt.Errorf("mode %q, want %q or %q", s.Mode, TokenTopUp, TokenDelegate)
	}
	c.Decimals = s.Decimals
	if c.Granted, err = strconv.ParseUint(s.Granted, 10, 64); err != nil {
		return c, fmt.Errorf("granted %q: not a base-10 amount", s.Granted)
	}
	if c.Arrived, err = strconv.ParseUint(s.Arrived, 10, 64); err != nil {
		return c, fmt.Errorf("arrived %q: not a base-10 amount", s.Arrived)
	}
	return c, checkCap(c)
}

// checkCap checks what a cap's fields say of each other.
func checkCap(c TokenCap) error {
	switch {
	case !spl.IsTokenProgram(c.Program):
		return fmt.Errorf("program %s is neither Token nor Token-2022", c.Program)
	case c.Mode > TokenDelegate:
		return fmt.Errorf("unknown mode %d", c.Mode)
	case c.Granted == 0:
		return fmt.Errorf("mint %s granted nothing", c.Mint)
	case c.Arrived > c.Granted:
		return fmt.Errorf("mint %s: %d arrived of %d granted", c.Mint, c.Arrived, c.Granted)
	}
	return nil
}

// checkCapAccounts refuses caps whose accounts are not the ones a create makes: the
// signer's associated token account for a top-up, the authority's for an allowance. A
// restored session revokes allowances and sweeps through these addresses, so a stored
// list must not point them elsewhere.
func checkCapAccounts(caps []TokenCap, signer, authority solana.PublicKey) error {
	for i, c := range caps {
		owner := signer
		if c.Mode == TokenDelegate {
			owner = authority
		}
		want, err := spl.AssociatedTokenAddress(owner, c.Mint, c.Program)
		if err != nil {
			return err
		}
		if c.Account != want {
			return fmt.Errorf("%w: token cap %d (%s of mint %s) names account %s, not %s", ErrMismatch, i, c.Mode, c.Mint, c.Account, want)
		}
	}
	return nil
}

// renewGrants is what a renewal grants by default: old's token caps again, same mints,
// amounts and modes.
func renewGrants(caps []TokenCap) []TokenGrant {
	if len(caps) == 0 {
		return nil
	}
	out := make([]TokenGrant, len(caps))
	for i, c := range caps {
		out[i] = TokenGrant{Mint: c.Mint, Amount: c.Granted, Mode: c.Mode}
	}
	return out
}
