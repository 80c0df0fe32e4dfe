package localnet_test

import (
	"testing"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// TestMain lives in package localnet_test because localnettest imports localnet.
func TestMain(m *testing.M) {
	localnet.RunHelperProcess()
	localnettest.RunMain(m)
}
