package session

import (
	"fmt"

	"github.com/sessionkit/sessionkit/client/txn"
)

// paramKeys collects the keys set in parameters, skipping nil ones. A zeroed key would
// sign with the zero signature, which the cluster rejects with a less helpful error.
func paramKeys(keys ...*txn.SessionKey) ([]*txn.SessionKey, error) {
	var out []*txn.SessionKey
	for _, k := range keys {
		if k == nil {
			continue
		}
		if k.Zeroed() {
			return nil, fmt.Errorf("%w: key %s: %w", ErrBadParams, k.PublicKey(), txn.ErrKeyZeroed)
		}
		out = append(out, k)
	}
	return out, nil
}
