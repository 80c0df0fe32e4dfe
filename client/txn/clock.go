package txn

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// clockUnixOffset is where unix_timestamp sits in the Clock sysvar, after slot,
// epoch_start_timestamp and epoch (8 bytes each).
const clockUnixOffset = 32

// ClusterTime reads the Clock sysvar's unix_timestamp: the time the session program and
// target programs compare valid_until with, and so the time to pass to client.CreateArgs.ClusterTime
// and client.Expected.ClusterTime. Only those 8 bytes are fetched.
func ClusterTime(ctx context.Context, c *rpc.Client, commitment rpc.CommitmentType) (int64, error) {
	length := uint64(8)
	offset := uint64(clockUnixOffset)
	res, err := c.GetAccountInfoWithOpts(ctx, solana.SysVarClockPubkey, &rpc.GetAccountInfoOpts{
		Encoding:   solana.EncodingBase64,
		Commitment: commitment,
		DataSlice:  &rpc.DataSlice{Offset: &offset, Length: &length},
	})
	if err != nil {
		return 0, fmt.Errorf("txn: reading the Clock sysvar: %w", err)
	}
	data := res.Value.Data.GetBinary()
	if len(data) != 8 {
		return 0, fmt.Errorf("txn: reading the Clock sysvar: got %d bytes of unix_timestamp, want 8", len(data))
	}
	return int64(binary.LittleEndian.Uint64(data)), nil
}
