package examplegame_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/spl"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The builders must say what the IDL says: discriminator, account order and flags.
func TestBuildersMatchIDL(t *testing.T) {
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	g := examplegame.Game{ID: solana.MustPublicKeyFromBase58(idl.Address)}
	owner, signer, token := solana.PublicKey{1}, solana.PublicKey{2}, solana.PublicKey{3}
	initIx, err := g.InitPlayer(owner)
	require.NoError(t, err)
	player, err := g.Player(owner)
	require.NoError(t, err)
	mint := solana.PublicKey{4}
	buyIx, err := g.BuyItem(examplegame.Purchase{Player: player, Signer: signer, Token: token, Source: solana.PublicKey{5},
		Mint: mint, TokenProgram: spl.TokenProgramID, Amount: 0x0102})
	require.NoError(t, err)
	treasury, err := g.TreasuryAccount(mint, spl.TokenProgramID)
	require.NoError(t, err)
	require.Equal(t, treasury, buyIx.Accounts()[5].PublicKey)
	tests := []struct {
		name string
		ix   solana.Instruction
		args []byte
	}{
		{"init_player", initIx, nil},
		{"move_player", g.Move(player, signer, token, examplegame.Left), []byte{2}},
		{"buy_item", buyIx, []byte{2, 1, 0, 0, 0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := idl.Instruction(tc.name)
			require.NoError(t, err)
			require.Equal(t, g.ID, tc.ix.ProgramID())
			data, err := tc.ix.Data()
			require.NoError(t, err)
			sum := sha256.Sum256([]byte("global:" + tc.name))
			require.Equal(t, sum[:8], spec.Discriminator)
			require.Equal(t, append(append([]byte(nil), spec.Discriminator...), tc.args...), data)
			metas := tc.ix.Accounts()
			require.Len(t, metas, len(spec.Accounts))
			for i, a := range spec.Accounts {
				require.Equal(t, a.Writable, metas[i].IsWritable, a.Name)
				require.Equal(t, a.Signer, metas[i].IsSigner, a.Name)
				if a.Address != "" {
					require.Equal(t, a.Address, metas[i].PublicKey.String(), a.Name)
				}
			}
		})
	}
	acc, err := idl.Account("Player")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("account:Player"))
	require.Equal(t, sum[:8], acc.Discriminator)
}

func TestDecodePlayer(t *testing.T) {
	_, err := examplegame.DecodePlayer(make([]byte, examplegame.PlayerSize))
	require.ErrorIs(t, err, examplegame.ErrNotPlayer)
	_, err = examplegame.DecodePlayer(nil)
	require.ErrorIs(t, err, examplegame.ErrNotPlayer)
	require.Equal(t, "left", examplegame.Left.String())
	require.Equal(t, "Direction(9)", examplegame.Direction(9).String())
}

// On the runtime: an owner creates a player and moves it without a session.
func TestOwnerMoves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := examplegame.Game{ID: solana.NewWallet().PublicKey()}
	net := localnettest.StartForTest(t, localnet.WithPrograms(localnet.Program{ID: g.ID, ELF: examplegame.ELF()}))
	owner, err := net.NewFundedKey(ctx, 1_000_000_000)
	require.NoError(t, err)
	ix, err := g.InitPlayer(owner.PublicKey())
	require.NoError(t, err)
	_, err = net.Send(ctx, owner, []solana.Instruction{ix})
	require.NoError(t, err)
	player, err := g.Player(owner.PublicKey())
	require.NoError(t, err)
	for _, d := range []examplegame.Direction{examplegame.Up, examplegame.Up, examplegame.Left, examplegame.Right, examplegame.Right, examplegame.Down} {
		// The same move on the same blockhash is the same transaction, which the
		// cluster runs once.
		_, err = net.RefreshBlockhash(ctx)
		require.NoError(t, err)
		_, err = net.Send(ctx, owner, []solana.Instruction{g.MoveAsOwner(player, owner.PublicKey(), d)})
		require.NoError(t, err)
	}
	res, err := net.RPC().GetAccountInfo(ctx, player)
	require.NoError(t, err)
	require.Equal(t, g.ID, res.Value.Owner)
	p, err := examplegame.DecodePlayer(res.Value.Data.GetBinary())
	require.NoError(t, err)
	require.Equal(t, examplegame.PlayerAccount{Owner: owner.PublicKey(), X: 1, Y: 1, Moves: 6}, *p)
}

// encodePlayer is the Anchor layout of a player account, the inverse of DecodePlayer.
func encodePlayer(p examplegame.PlayerAccount) []byte {
	disc := sha256.Sum256([]byte("account:Player"))
	b := append(disc[:8:8], p.Owner[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(p.X))
	b = binary.LittleEndian.AppendUint64(b, uint64(p.Y))
	return binary.LittleEndian.AppendUint64(b, p.Moves)
}

func FuzzDecodePlayer(f *testing.F) {
	owner := solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi")
	for _, p := range []examplegame.PlayerAccount{
		{Owner: owner, X: 1, Y: 1, Moves: 6},
		{Owner: owner, X: -3, Y: 1 << 62, Moves: 1<<64 - 1},
		{},
	} {
		f.Add(encodePlayer(p))
	}
	f.Add(make([]byte, examplegame.PlayerSize))
	f.Add(encodePlayer(examplegame.PlayerAccount{Owner: owner})[:examplegame.PlayerSize-1])
	f.Add(append(encodePlayer(examplegame.PlayerAccount{Owner: owner}), 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := examplegame.DecodePlayer(data)
		if err != nil {
			if !errors.Is(err, examplegame.ErrNotPlayer) {
				t.Fatalf("error %v is not ErrNotPlayer", err)
			}
			if want := fmt.Sprintf("(%d bytes)", len(data)); !strings.HasSuffix(err.Error(), want) {
				t.Fatalf("error %q does not end with %q", err, want)
			}
			if len(data) == examplegame.PlayerSize && string(data[:8]) == string(encodePlayer(examplegame.PlayerAccount{})[:8]) {
				t.Fatal("refused a player account")
			}
			return
		}
		// Every byte belongs to a field: re-encoding gives the input back.
		if enc := encodePlayer(*p); string(enc) != string(data) {
			t.Fatalf("re-encoded\n% x\nfrom\n% x", enc, data)
		}
	})
}
