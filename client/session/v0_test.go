package session

import (
	"context"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// A move whose player and token accounts come from a lookup table lands as a v0
// transaction; the table is made, extended and waited for by the Manager.
func TestV0MoveThroughLookupTable(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(1_000_000_000)
	backend := keyFrom(t, e.funded(1_000_000_000))
	player := e.player(e.game, wallet)
	sess, err := e.m.Create(e.ctx, wallet, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour})
	require.NoError(t, err)

	// More than one extend's worth, so that the table grows over several transactions.
	addresses := []solana.PublicKey{player, sess.Token()}
	for range 30 {
		addresses = append(addresses, solana.NewWallet().PublicKey())
	}
	table, err := e.m.CreateLookupTable(e.ctx, addresses, LookupTableParams{Authority: backend})
	require.NoError(t, err)
	require.Equal(t, addresses, table.Addresses)
	onChain, _, err := e.m.LookupTable(e.ctx, table.Address)
	require.NoError(t, err)
	require.Equal(t, backend.PublicKey(), *onChain.Authority)

	res, err := sess.SendWith(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)},
		MoveParams{LookupTables: []txn.LookupTable{table}})
	require.NoError(t, err)
	require.Equal(t, examplegame.PlayerAccount{Owner: wallet.PublicKey(), Y: 1, Moves: 1}, e.playerState(player))

	got, err := e.rpc.GetTransaction(e.ctx, res.Signature, &rpc.GetTransactionOpts{
		Commitment: rpc.CommitmentConfirmed, MaxSupportedTransactionVersion: &rpc.MaxSupportedTransactionVersion0, Encoding: solana.EncodingBase64})
	require.NoError(t, err)
	tx, err := got.Transaction.GetTransaction()
	require.NoError(t, err)
	require.True(t, tx.Message.IsVersioned())
	require.Len(t, tx.Message.AddressTableLookups, 1)
	require.Equal(t, table.Address, tx.Message.AddressTableLookups[0].AccountKey)
	require.Equal(t, []uint8{0}, []uint8(tx.Message.AddressTableLookups[0].WritableIndexes), "the player, writable")
	require.Equal(t, []uint8{1}, []uint8(tx.Message.AddressTableLookups[0].ReadonlyIndexes), "the token, read-only")
	require.NotContains(t, tx.Message.AccountKeys, player)

	// The same move again is distinct (the salt rule holds for v0 moves too) and lands.
	_, err = sess.SendWith(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)},
		MoveParams{LookupTables: []txn.LookupTable{table}})
	require.NoError(t, err)
	require.Equal(t, examplegame.PlayerAccount{Owner: wallet.PublicKey(), Y: 2, Moves: 2}, e.playerState(player))

	// A table that has stopped being usable: the move is refused by the cluster, not
	// silently sent legacy.
	require.NoError(t, e.m.DeactivateLookupTable(e.ctx, table.Address, LookupTableParams{Authority: backend}))
	_, err = e.m.ExtendLookupTable(e.ctx, table.Address, nil, LookupTableParams{Authority: backend})
	require.ErrorIs(t, err, ErrTableNotUsable)
}

// A drain that hides the session signer behind a table entry, against a table the
// cluster really holds: the guard resolves the entry and refuses before signing.
func TestV0GuardRefusesSignerBehindTable(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(1_000_000_000)
	backend := keyFrom(t, e.funded(1_000_000_000))
	player := e.player(e.game, wallet)
	sess, err := e.m.Create(e.ctx, wallet, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	sink := solana.NewWallet().PublicKey()
	table, err := e.m.CreateLookupTable(e.ctx, []solana.PublicKey{player, sess.Token(), sess.SessionSigner()}, LookupTableParams{Authority: backend})
	require.NoError(t, err)

	// The message an attacker writes: compiled against a stand-in for entry 2, so that
	// the drain's source is index "table entry 2" rather than the static signer.
	stand := solana.NewWallet().PublicKey()
	drain := system.NewTransferInstruction(2_000_000, stand, sink).Build()
	drain.Accounts()[0].IsSigner = false
	msg, err := txn.CompileV0(sess.SessionSigner(), solana.Hash{9}, []txn.LookupTable{{Address: table.Address, Addresses: []solana.PublicKey{player, sess.Token(), stand}}},
		e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up), drain)
	require.NoError(t, err)
	chain, _, err := e.m.LookupTable(e.ctx, table.Address)
	require.NoError(t, err)
	err = sess.policy().CheckWithTables(msg.Bytes(), []txn.LookupTable{chain.Lookup(table.Address)})
	require.ErrorIs(t, err, guard.ErrForeignProgram)
	require.ErrorIs(t, sess.policy().Check(msg.Bytes()), guard.ErrLookupTables)

	// Through the Session, the signer is never loaded from a table, and a transfer out
	// of it is refused as in a legacy move.
	_, err = sess.SendWith(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up),
		system.NewTransferInstruction(2_000_000, sess.SessionSigner(), sink).Build()}, MoveParams{LookupTables: []txn.LookupTable{table}})
	require.ErrorIs(t, err, guard.ErrForeignProgram)
	require.Equal(t, uint64(3_000_000), e.balance(sess.SessionSigner()))
	require.False(t, e.exists(sink))
}

// Wrap with lookup tables makes a v0 transaction, signed and judged like a legacy one;
// a table that does not hold what the message loads is refused before signing.
func TestV0Wrap(t *testing.T) {
	s := testSession(t, nil, 0)
	player := solana.NewWallet().PublicKey()
	table := txn.LookupTable{Address: solana.NewWallet().PublicKey(), Addresses: []solana.PublicKey{player, s.token}}
	tx, err := s.Wrap(context.Background(), solana.Hash{1}, []solana.Instruction{moveIx(s, player)}, MoveParams{LookupTables: []txn.LookupTable{table}})
	require.NoError(t, err)
	require.True(t, tx.Message.IsVersioned())
	require.NoError(t, tx.VerifySignatures())
	require.Equal(t, solana.PublicKeySlice{s.signer, s.target}, tx.Message.AccountKeys, "signer and program static, the rest looked up")

	legacy, err := s.Wrap(context.Background(), solana.Hash{1}, []solana.Instruction{moveIx(s, player)}, MoveParams{})
	require.NoError(t, err)
	require.False(t, legacy.Message.IsVersioned())

	// The signer in a table: a foreign instruction naming it as a plain account still
	// finds it static (the compiler never loads a signer), and the guard refuses.
	withSigner := txn.LookupTable{Address: table.Address, Addresses: []solana.PublicKey{player, s.token, s.signer}}
	foreign := solana.NewInstruction(solana.NewWallet().PublicKey(), solana.AccountMetaSlice{solana.Meta(s.signer).WRITE()}, nil)
	_, err = s.Wrap(context.Background(), solana.Hash{1}, []solana.Instruction{moveIx(s, player), foreign}, MoveParams{LookupTables: []txn.LookupTable{withSigner}})
	require.ErrorIs(t, err, guard.ErrForeignProgram)
	_, err = s.Wrap(context.Background(), solana.Hash{1}, []solana.Instruction{moveIx(s, player)}, MoveParams{LookupTables: []txn.LookupTable{table, table}})
	require.ErrorIs(t, err, txn.ErrLookupTable)
}
