package session

import (
	"os"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program"
)

// The package's integration tests share one cluster, started on first use: our session
// program at the MagicBlock id (the id the example game checks tokens against) and the
// example game twice, so a token can name the wrong target. Tests that warp the cluster
// clock rely on running one at a time (no t.Parallel).
var (
	gameID      = solana.NewWallet().PublicKey()
	otherGameID = solana.NewWallet().PublicKey()
)

func clusterConfig() localnet.Config {
	return localnet.Config{Programs: []localnet.Program{
		{ID: pda.MagicBlockProgramID, ELF: program.SessionELF()},
		{ID: gameID, ELF: program.ExampleGameELF()},
		{ID: otherGameID, ELF: program.ExampleGameELF()},
	}}
}

func TestMain(m *testing.M) { os.Exit(localnettest.RunMain(m, clusterConfig())) }
