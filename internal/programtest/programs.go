package programtest

import (
	"bytes"
	"debug/elf"
	"sync"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/localnet/deploy"
	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// RequireELF checks an embedded program: an SBF shared object, handed out as a fresh
// copy by every call, that logs every error of its IDL under the IDL's name and message,
// which is what log-based error decoding reads.
func RequireELF(t *testing.T, elfOf func() []byte, idlOf func() (*programidl.IDL, error)) {
	t.Helper()
	b := elfOf()
	f, err := elf.NewFile(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, elf.ELFCLASS64, f.Class)
	require.Equal(t, elf.ELFDATA2LSB, f.Data)
	require.Equal(t, elf.ET_DYN, f.Type)
	require.Equal(t, elf.EM_BPF, f.Machine)

	b[0] ^= 0xff
	require.Equal(t, byte(0x7f), elfOf()[0])

	idl, err := idlOf()
	require.NoError(t, err)
	require.NotEmpty(t, idl.Errors)
	for _, e := range idl.Errors {
		require.True(t, bytes.Contains(b, []byte(e.Name)), "error name %s", e.Name)
		require.True(t, bytes.Contains(b, []byte(e.Msg)), "error message %q", e.Msg)
	}
}

// TokenAddress is the session program's token for (target, signer, authority).
func TokenAddress(t *testing.T, v pda.Version, target, signer, authority solana.PublicKey) solana.PublicKey {
	t.Helper()
	addr, _, err := pda.Find(v, SessionID, target, signer, authority)
	require.NoError(t, err)
	return addr
}

// CreateV1 lands create_session for (target, signer, authority) and returns the token.
func (e *Env) CreateV1(authority, signer solana.PrivateKey, target solana.PublicKey, args client.CreateArgs) solana.PublicKey {
	e.T.Helper()
	ix, err := client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signer.PublicKey(), Authority: authority.PublicKey(), TargetProgram: target,
	}, args)
	require.NoError(e.T, err)
	e.Send(authority, Ixs(ix), signer)
	return TokenAddress(e.T, pda.V1, target, signer.PublicKey(), authority.PublicKey())
}

// CreateV2 lands create_session_v2 paid by feePayer and returns the token.
func (e *Env) CreateV2(feePayer, authority, signer solana.PrivateKey, target solana.PublicKey, args client.CreateArgs) solana.PublicKey {
	e.T.Helper()
	ix, err := client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: signer.PublicKey(), FeePayer: feePayer.PublicKey(),
		Authority: authority.PublicKey(), TargetProgram: target,
	}, args)
	require.NoError(e.T, err)
	e.Send(feePayer, Ixs(ix), signer, authority)
	return TokenAddress(e.T, pda.V2, target, signer.PublicKey(), authority.PublicKey())
}

// The package's example game, deployed once through the upgradeable loader under a
// fresh id: the game reads its id from the runtime, and the deploy runs the loader's
// verifier on the committed ELF.
var deployedGame struct {
	once sync.Once
	game examplegame.Game
	err  error
}

// Game returns the package's example game, deploying it on first use.
func (e *Env) Game() examplegame.Game {
	e.T.Helper()
	deployedGame.once.Do(func() {
		payer := e.Wallet(10_000_000_000)
		programKey := NewKey(e.T)
		var id solana.PublicKey
		id, deployedGame.err = deploy.Deploy(e.Ctx, e.Net.RPC(), payer, programKey, examplegame.ELF(), deploy.Params{})
		deployedGame.game = examplegame.Game{ID: id}
	})
	require.NoError(e.T, deployedGame.err)
	return deployedGame.game
}

// Player reads and decodes a player account.
func (e *Env) Player(addr solana.PublicKey) examplegame.PlayerAccount {
	e.T.Helper()
	acc := e.Account(addr)
	require.NotNil(e.T, acc, "player account")
	p, err := examplegame.DecodePlayer(acc.Data.GetBinary())
	require.NoError(e.T, err)
	return *p
}

// NewPlayer creates a funded owner's player and returns the owner and the player.
func (e *Env) NewPlayer(g examplegame.Game) (solana.PrivateKey, solana.PublicKey) {
	e.T.Helper()
	owner := e.Wallet(1_000_000_000)
	e.Send(owner, Ixs(e.Must(g.InitPlayer(owner.PublicKey()))))
	player, err := g.Player(owner.PublicKey())
	require.NoError(e.T, err)
	return owner, player
}
