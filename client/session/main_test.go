package session

import (
	"math"
	"os"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The package's integration tests share one cluster, started on first use: our session
// program at the MagicBlock id (the id the example game checks tokens against) and the
// example game twice, so a token can name the wrong target. Tests that warp the cluster
// clock rely on running one at a time (no t.Parallel).
var (
	gameID      = solana.NewWallet().PublicKey()
	otherGameID = solana.NewWallet().PublicKey()
	// lookalike holds valid V1 token data, owned by the session program, at an address
	// that is not the PDA of its fields: the program never makes one, a genesis can.
	lookalike     = solana.NewWallet().PublicKey()
	lookalikeData = client.SessionToken{Authority: solana.NewWallet().PublicKey(), TargetProgram: gameID,
		SessionSigner: solana.NewWallet().PublicKey(), ValidUntil: math.MaxInt64}
)

func clusterConfig() []localnet.Option {
	data, err := lookalikeData.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return []localnet.Option{
		localnet.WithPrograms(
			localnettest.SessionProgram(),
			localnet.Program{ID: gameID, ELF: examplegame.ELF()},
			localnet.Program{ID: otherGameID, ELF: examplegame.ELF()},
		),
		localnet.WithAccounts(localnet.Account{Address: lookalike, Lamports: 10_000_000, Owner: pda.MagicBlockProgramID, Data: data}),
	}
}

func TestMain(m *testing.M) { os.Exit(localnettest.RunMain(m, clusterConfig()...)) }
