package grant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/spl"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

// Discriminators resolves the allowed instructions: a "0x" entry is taken as written, a
// name through idl when given (a name the IDL lacks is refused) and by Anchor's rule,
// sha256("global:<name>")[:8], when idl is nil.
func (g *Grant) Discriminators(idl *programidl.IDL) ([]guard.Discriminator, error) {
	out := make([]guard.Discriminator, 0, len(g.Instructions))
	for i, name := range g.Instructions {
		path := fmt.Sprintf("instructions.allow[%d]", i)
		var d guard.Discriminator
		switch h, isHex := strings.CutPrefix(name, "0x"); {
		case isHex:
			if n, err := hex.Decode(d[:], []byte(h)); err != nil || n != 8 {
				return nil, invalid(path, "%q is not 8 bytes of hex", name)
			}
		case idl != nil:
			found := false
			for _, ix := range idl.Instructions {
				if ix.Name == name && len(ix.Discriminator) == 8 {
					d, found = guard.Discriminator(ix.Discriminator), true
					break
				}
			}
			if !found {
				return nil, invalid(path, "the IDL of %s has no instruction %q with an 8-byte discriminator", idl.Name, name)
			}
		default:
			sum := sha256.Sum256([]byte("global:" + name))
			d = guard.Discriminator(sum[:8])
		}
		out = append(out, d)
	}
	return out, nil
}

// Policy is the guard's policy for the grant's signer: the bounds judged from each
// compiled message (instructions, per-transaction spend, compute caps). The token
// accounts it knows are the signer's associated token accounts of each granted mint,
// under Token and Token-2022 both (the one of the mint's program is the one that
// exists). A limit with only a total gets no per-transaction bound here, but its
// instructions are still measured, so the session can count the total.
func (g *Grant) Policy(idl *programidl.IDL) (guard.Policy, error) {
	if g.Signer.IsZero() {
		return guard.Policy{}, invalid("signer", "missing: a policy guards one signer")
	}
	p := guard.Policy{Signer: g.Signer, TargetProgram: g.TargetProgram}
	if len(g.Instructions) > 0 {
		var err error
		if p.Instructions, err = g.Discriminators(idl); err != nil {
			return guard.Policy{}, err
		}
	}
	perTx := func(l *Limit) uint64 {
		if l.PerTransaction == nil {
			return math.MaxUint64
		}
		return uint64(*l.PerTransaction)
	}
	if g.Native != nil {
		p.Lamports = &guard.Limit{PerTransaction: perTx(g.Native)}
	}
	for _, t := range g.Tokens {
		p.Tokens = append(p.Tokens, guard.TokenLimit{Mint: t.Mint, Limit: guard.Limit{PerTransaction: perTx(&t.Limit)}})
		for _, program := range []solana.PublicKey{spl.TokenProgramID, spl.Token2022ProgramID} {
			ata, err := spl.AssociatedTokenAddress(g.Signer, t.Mint, program)
			if err != nil {
				return guard.Policy{}, fmt.Errorf("grant: %w", err)
			}
			p.TokenAccounts = append(p.TokenAccounts, guard.TokenAccount{Address: ata, Mint: t.Mint})
		}
	}
	if g.Compute != nil {
		p.MaxUnitLimit, p.MaxUnitPrice = g.Compute.MaxUnitLimit, g.Compute.MaxUnitPrice
	}
	return p, nil
}
