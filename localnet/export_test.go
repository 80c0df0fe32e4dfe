package localnet

import (
	"context"

	"github.com/sessionkit/sessionkit/client/sender"
)

// What the tests in package localnet_test need from inside the package; they
// are there because they use localnettest, which imports localnet.

var EmbeddedOnly = embeddedOnly

const RefreshUses = refreshUses

// NewBlockhashes returns the hand-out a Net's blockhashes make over cache.
func NewBlockhashes(cache *sender.BlockhashCache) func(context.Context) (sender.Blockhash, error) {
	return (&blockhashes{cache: cache}).get
}
