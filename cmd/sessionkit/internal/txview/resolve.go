package txview

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// Tables lists the lookup tables the message loads accounts from, in its order.
func (v *View) Tables() []solana.PublicKey {
	out := make([]solana.PublicKey, 0, len(v.Lookups))
	for _, l := range v.Lookups {
		out = append(out, solana.MustPublicKeyFromBase58(l.Table)) // written from a key by Decode
	}
	return out
}

// Resolve names the keys the message loads from tables (their contents as on chain),
// keeping where each comes from. A table the message uses that tables lacks, or an entry
// past what tables holds of it, is an error naming it; nothing is changed then.
func (v *View) Resolve(tables []txn.LookupTable) error {
	byTable := map[string][]solana.PublicKey{}
	for _, t := range tables {
		byTable[t.Address.String()] = t.Addresses
	}
	resolved := make(map[int]string)
	for _, k := range v.AccountKeys {
		if k.LookupTable == "" {
			continue
		}
		addrs, ok := byTable[k.LookupTable]
		switch {
		case !ok:
			return fmt.Errorf("txview: lookup table %s not given", k.LookupTable)
		case *k.LookupIndex >= len(addrs):
			return fmt.Errorf("txview: lookup table %s holds %d addresses, the message loads entry %d", k.LookupTable, len(addrs), *k.LookupIndex)
		}
		resolved[k.Index] = addrs[*k.LookupIndex].String()
	}
	for i := range v.AccountKeys {
		if pk, ok := resolved[v.AccountKeys[i].Index]; ok {
			v.AccountKeys[i].Pubkey = pk
		}
	}
	for i := range v.Instructions {
		for j := range v.Instructions[i].Accounts {
			if pk, ok := resolved[v.Instructions[i].Accounts[j].Index]; ok {
				v.Instructions[i].Accounts[j].Pubkey = pk
			}
		}
	}
	return nil
}
