package session

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// A move's limit comes from one simulation per instruction shape, plus the margin; the
// priority fee is paid on it; identical moves stay distinct through the loaded-data
// salt, and both land.
func TestComputeLimitFromSimulation(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recent := json.RawMessage(`[{"slot":1,"prioritizationFee":1000}]`)
	var sims atomic.Int32
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "simulateTransaction" {
			sims.Add(1)
		}
		if c.Method == "getRecentPrioritizationFees" {
			return faultproxy.Answer(recent)
		}
		return faultproxy.Pass
	})
	client := sender.NewRPCClient(proxy.URL(), nil)
	e := newEnvWith(t, ctx, net, client, sender.WithPriorityFees(sender.FeePolicy{}))
	e.m = NewManager(client, e.snd, WithProgramID(localnettest.SessionProgramID()), WithComputeLimitFromSimulation(20))
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	move := []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}

	var limit uint32
	for range 3 {
		before := e.balance(sess.SessionSigner())
		res, err := sess.Send(ctx, move)
		require.NoError(t, err)
		onChain, _ := landedFees(t, e, res.Signature)
		v := uint64(0)
		tx, err := e.net.RPC().GetTransaction(ctx, res.Signature, &rpc.GetTransactionOpts{Commitment: rpc.CommitmentConfirmed,
			Encoding: solana.EncodingBase64, MaxSupportedTransactionVersion: &v})
		require.NoError(t, err)
		used := *tx.Meta.ComputeUnitsConsumed
		// The limit is the simulated units (the move's, which the landed one used) × 1.2.
		require.Equal(t, uint32(used*120/100), onChain.UnitLimit, "used %d", used)
		require.Equal(t, onChain, res.Fees)
		require.Equal(t, uint64(1000), onChain.UnitPrice)
		require.Equal(t, (uint64(onChain.UnitLimit)*1000+999_999)/1_000_000, onChain.Priority)
		require.Equal(t, before-onChain.Total(), e.balance(sess.SessionSigner()))
		limit = onChain.UnitLimit
	}
	require.Less(t, limit, uint32(20_000))
	require.Equal(t, int32(1), sims.Load(), "one simulation for the shape")
	require.Equal(t, uint64(3), e.playerState(player).Moves)

	// Two identical moves on one blockhash: distinct transactions, the same honest limit.
	bh, err := e.m.blockhash(ctx)
	require.NoError(t, err)
	cfg, err := sess.configure(move, &MoveParams{})
	require.NoError(t, err)
	cfg.unitLimit = limit
	a, err := sess.buildDistinct(bh.Hash, move, &cfg, nil)
	require.NoError(t, err)
	b, err := sess.buildDistinct(bh.Hash, move, &cfg, nil)
	require.NoError(t, err)
	require.NotEqual(t, a[1:65], b[1:65])
	fa, err := sender.TransactionFees(a)
	require.NoError(t, err)
	fb, err := sender.TransactionFees(b)
	require.NoError(t, err)
	require.Equal(t, limit, fa.UnitLimit)
	require.Equal(t, fa, fb)
	for _, wire := range [][]byte{a, b} {
		tx, err := solana.TransactionFromBytes(wire)
		require.NoError(t, err)
		_, err = e.snd.SendSigned(ctx, tx, bh.LastValidBlockHeight)
		require.NoError(t, err)
	}
	require.Equal(t, uint64(5), e.playerState(player).Moves)
}

func TestComputeLimitSaltClamped(t *testing.T) {
	variant := newUnitLimit(0x7fff, 0xffff)
	ixs := withLimit([]solana.Instruction{variant}, 3_000)
	require.Len(t, ixs, 2)
	d0, _ := ixs[0].Data()
	d1, _ := ixs[1].Data()
	require.Equal(t, uint32(3_000), binary.LittleEndian.Uint32(d0[1:]))
	require.Equal(t, byte(4), d1[0])
	require.Equal(t, uint32(maxLoadedData+0x7fff<<16+0xffff), binary.LittleEndian.Uint32(d1[1:]))
}
