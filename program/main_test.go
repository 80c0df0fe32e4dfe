package program_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program"
)

// envSessionELF names a session-keys build to load at the session program's id instead
// of ours, e.g. an upstream gpl_session .so: the session tests use only the wire
// interface, so they check any build against the same expectations.
const envSessionELF = "SESSIONKIT_SESSION_ELF"

// sessionID is where the session program runs: upstream's id, which target programs
// (the example game included) trust as token owner.
var sessionID = pda.MagicBlockProgramID

// Accounts no instruction can produce, loaded at start to reach the account-loading
// errors of revoke: a token too short for a discriminator, tokens too short for their
// fields, and well-formed tokens that do not sit at their PDA.
var fixtures = struct {
	noDiscriminator, shortV1, shortV2, forgedV1, forgedV2 solana.PublicKey
	forgedAuthority, forgedFeePayer                       solana.PublicKey
}{
	noDiscriminator: solana.NewWallet().PublicKey(),
	shortV1:         solana.NewWallet().PublicKey(),
	shortV2:         solana.NewWallet().PublicKey(),
	forgedV1:        solana.NewWallet().PublicKey(),
	forgedV2:        solana.NewWallet().PublicKey(),
	forgedAuthority: solana.NewWallet().PublicKey(),
	forgedFeePayer:  solana.NewWallet().PublicKey(),
}

func TestMain(m *testing.M) {
	cfg, err := clusterConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(localnettest.RunMain(m, cfg))
}

func clusterConfig() (localnet.Config, error) {
	elf := program.SessionELF()
	if path := os.Getenv(envSessionELF); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return localnet.Config{}, fmt.Errorf("%s: %w", envSessionELF, err)
		}
		elf = b
	}
	v1 := client.SessionToken{
		Authority:     fixtures.forgedAuthority,
		TargetProgram: program.ExampleGameProgramID,
		SessionSigner: solana.NewWallet().PublicKey(),
		ValidUntil:    1 << 40,
	}
	v2 := client.SessionTokenV2{
		Authority:     fixtures.forgedAuthority,
		TargetProgram: program.ExampleGameProgramID,
		SessionSigner: solana.NewWallet().PublicKey(),
		FeePayer:      fixtures.forgedFeePayer,
		ValidUntil:    1 << 40,
	}
	v1Data, err := v1.MarshalBinary()
	if err != nil {
		return localnet.Config{}, err
	}
	v2Data, err := v2.MarshalBinary()
	if err != nil {
		return localnet.Config{}, err
	}
	token := func(addr solana.PublicKey, data []byte) localnet.Account {
		return localnet.Account{Address: addr, Lamports: 2_000_000, Owner: sessionID, Data: data}
	}
	return localnet.Config{
		Programs: []localnet.Program{{ID: sessionID, ELF: elf}},
		Accounts: []localnet.Account{
			token(fixtures.noDiscriminator, []byte{1, 2, 3, 4}),
			token(fixtures.shortV1, v1Data[:client.SessionTokenLen-1]),
			token(fixtures.shortV2, v2Data[:client.SessionTokenV2Len-1]),
			token(fixtures.forgedV1, v1Data),
			token(fixtures.forgedV2, v2Data),
		},
		Funded: map[solana.PublicKey]uint64{
			fixtures.forgedAuthority: 1_000_000,
			fixtures.forgedFeePayer:  1_000_000,
		},
	}, nil
}
