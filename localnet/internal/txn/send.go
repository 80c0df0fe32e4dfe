package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
)

// FailedError reports a transaction that landed but failed on chain.
type FailedError struct {
	Signature solana.Signature
	// Err is the transaction error exactly as getSignatureStatuses returned it.
	Err any
}

func (e *FailedError) Error() string {
	detail, _ := json.Marshal(e.Err)
	return fmt.Sprintf("transaction %s failed: %s", e.Signature, detail)
}

// errExpired means the blockhash ran out before the transaction was seen, so
// it can never land and must be signed again with a new blockhash.
var errExpired = errors.New("blockhash expired before the transaction landed")

// Options tune SendAndConfirm.
type Options struct {
	// SkipPreflight sends without simulation; failures then surface as
	// FailedError after landing instead of as a send error with logs.
	SkipPreflight bool
	// MaxAttempts bounds re-signing after blockhash expiry (default 5).
	MaxAttempts int
}

// SendAndConfirm builds a transaction with a recent blockhash, sends it and
// waits for confirmed commitment, re-building with a fresh blockhash when the
// previous one expired before the transaction landed.
func SendAndConfirm(ctx context.Context, client *rpc.Client, bh *Blockhashes, build func(solana.Hash) (*solana.Transaction, error), opts Options) (solana.Signature, error) {
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		get := bh.Get
		if attempt > 0 {
			get = bh.Refresh
		}
		h, err := get(ctx)
		if err != nil {
			return solana.Signature{}, err
		}
		tx, err := build(h.Hash)
		if err != nil {
			return solana.Signature{}, err
		}
		sig, err := client.SendTransactionWithOpts(ctx, tx, rpc.TransactionOpts{
			SkipPreflight:       opts.SkipPreflight,
			PreflightCommitment: rpc.CommitmentConfirmed,
		})
		if err != nil {
			if isBlockhashNotFound(err) {
				lastErr = err
				continue
			}
			return solana.Signature{}, fmt.Errorf("sendTransaction: %w", readable(err))
		}
		err = Confirm(ctx, client, sig, h.LastValidBlockHeight)
		if errors.Is(err, errExpired) {
			lastErr = err
			continue
		}
		return sig, err
	}
	return solana.Signature{}, fmt.Errorf("gave up after %d attempts: %w", attempts, lastErr)
}

// Confirm polls getSignatureStatuses until sig reaches confirmed commitment.
// With lastValidBlockHeight > 0 it also stops once the cluster has passed
// that height without seeing sig; with 0 only ctx bounds the wait.
func Confirm(ctx context.Context, client *rpc.Client, sig solana.Signature, lastValidBlockHeight uint64) error {
	const maxDelay = 100 * time.Millisecond
	delay := 2 * time.Millisecond
	heightChecked := time.Now()
	expired := false
	for {
		res, err := client.GetSignatureStatuses(ctx, false, sig)
		if err != nil {
			return fmt.Errorf("getSignatureStatuses: %w", err)
		}
		if len(res.Value) == 1 && res.Value[0] != nil {
			st := res.Value[0]
			if st.Err != nil {
				return &FailedError{Signature: sig, Err: st.Err}
			}
			if st.ConfirmationStatus == rpc.ConfirmationStatusConfirmed || st.ConfirmationStatus == rpc.ConfirmationStatusFinalized {
				return nil
			}
		} else if expired {
			return errExpired
		}
		if lastValidBlockHeight > 0 && time.Since(heightChecked) > 500*time.Millisecond {
			heightChecked = time.Now()
			height, err := client.GetBlockHeight(ctx, rpc.CommitmentConfirmed)
			if err != nil {
				return fmt.Errorf("getBlockHeight: %w", err)
			}
			// Poll the status once more before giving up: the transaction may
			// have landed between the two calls.
			expired = height > lastValidBlockHeight
			if expired {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", sig, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, maxDelay)
	}
}

// rpcError prints a JSON-RPC error as its code and message (which carries
// the simulation logs) instead of solana-go's multi-line struct dump, and
// still unwraps to the *jsonrpc.RPCError.
type rpcError struct{ err *jsonrpc.RPCError }

func (e rpcError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.err.Code, e.err.Message) }

func (e rpcError) Unwrap() error { return e.err }

func readable(err error) error {
	var re *jsonrpc.RPCError
	if errors.As(err, &re) {
		return rpcError{re}
	}
	return err
}

func isBlockhashNotFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "BlockhashNotFound") || strings.Contains(s, "Blockhash not found")
}
