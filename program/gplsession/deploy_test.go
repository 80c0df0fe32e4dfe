package gplsession_test

import (
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/programtest"
	"github.com/sessionkit/sessionkit/localnet/deploy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

// The committed programs pass the upgradeable loader's deploy (ELF checks and
// verifier) and works at the fresh address: it derives and owns its tokens there. Target
// programs trust only upstream's id, so the game refuses this deployment's tokens.
func TestSessionProgramDeployedThroughLoader(t *testing.T) {
	e := programtest.Setup(t)
	localnettest.RequireSessionInstruction(t, e.Net, client.CreateSessionV2)
	localnettest.RequireSessionInstruction(t, e.Net, client.RevokeSessionV2)
	now := e.FreezeClock()
	payer := e.Wallet(10_000_000_000)
	id, err := deploy.Deploy(e.Ctx, e.Net.RPC(), payer, programtest.NewKey(t), gplsession.ELF(), deploy.Params{})
	require.NoError(t, err)
	acc := e.Account(id)
	require.NotNil(t, acc)
	require.Equal(t, solana.BPFLoaderUpgradeableProgramID, acc.Owner)
	require.True(t, acc.Executable)

	g := e.Game()
	gameAcc := e.Account(g.ID)
	require.NotNil(t, gameAcc)
	require.Equal(t, solana.BPFLoaderUpgradeableProgramID, gameAcc.Owner)
	require.True(t, gameAcc.Executable)
	owner, player := e.NewPlayer(g)
	sponsor := e.Wallet(1_000_000_000)
	rentV1, rentV2 := e.Rent(client.SessionTokenLen), e.Rent(client.SessionTokenV2Len)

	signerV1, signerV2 := programtest.NewKey(t), programtest.NewKey(t)
	createV1 := e.Must(client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: signerV1.PublicKey(), Authority: owner.PublicKey(), TargetProgram: g.ID,
	}, client.CreateArgs{ProgramID: id, TopUp: new(true)}))
	e.Send(owner, programtest.Ixs(createV1), signerV1)
	createV2 := e.Must(client.NewCreateSessionV2(client.CreateSessionV2Accounts{
		SessionSigner: signerV2.PublicKey(), FeePayer: sponsor.PublicKey(), Authority: owner.PublicKey(), TargetProgram: g.ID,
	}, client.CreateArgs{ProgramID: id}))
	e.Send(sponsor, programtest.Ixs(createV2), signerV2, owner)

	tokenV1, _, err := pda.Find(pda.V1, id, g.ID, signerV1.PublicKey(), owner.PublicKey())
	require.NoError(t, err)
	tokenV2, _, err := pda.Find(pda.V2, id, g.ID, signerV2.PublicKey(), owner.PublicKey())
	require.NoError(t, err)
	for _, tc := range []struct {
		token solana.PublicKey
		rent  uint64
		want  client.TokenAccount
	}{
		{tokenV1, rentV1, client.TokenAccount{Version: pda.V1, Authority: owner.PublicKey(), TargetProgram: g.ID, SessionSigner: signerV1.PublicKey(), ValidUntil: now + 3600}},
		{tokenV2, rentV2, client.TokenAccount{Version: pda.V2, Authority: owner.PublicKey(), TargetProgram: g.ID, SessionSigner: signerV2.PublicKey(), FeePayer: sponsor.PublicKey(), ValidUntil: now + 3600}},
	} {
		acc := e.Account(tc.token)
		require.NotNil(t, acc)
		require.Equal(t, id, acc.Owner)
		require.Equal(t, tc.rent, acc.Lamports)
		tok, err := client.DecodeToken(id, acc.Owner, acc.Data.GetBinary())
		require.NoError(t, err)
		require.Equal(t, tc.want, tok)
	}

	_, err = e.Simulate(signerV1, programtest.Ixs(g.Move(player, signerV1.PublicKey(), tokenV1, examplegame.Up)))
	programtest.RequireProgramError(t, err, g.ID, 3007, txn.ErrAccountOwnedByWrongProgram)

	before := e.Balances(owner.PublicKey(), sponsor.PublicKey())
	revokeV1 := e.Must(client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: tokenV1, Authority: owner.PublicKey()}, client.RevokeArgs{ProgramID: id}))
	revokeV2 := e.Must(client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{
		SessionToken: tokenV2, FeePayer: sponsor.PublicKey(), Authority: owner.PublicKey(),
	}, client.RevokeArgs{ProgramID: id}))
	res := e.Send(payer, programtest.Ixs(revokeV1, revokeV2), owner)
	require.Equal(t, uint64(2*programtest.FeePerSignature), res.Fee)
	require.Equal(t, []uint64{before[0] + rentV1, before[1] + rentV2}, e.Balances(owner.PublicKey(), sponsor.PublicKey()))
	requireClosed(e, tokenV1)
	requireClosed(e, tokenV2)
}
