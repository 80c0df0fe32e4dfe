package client

import (
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

const gameProgram = "Game111111111111111111111111111111111111111"

var (
	validityLogs = []string{
		"Program " + pda.MagicBlockProgramID.String() + " invoke [1]",
		"Program log: Instruction: CreateSession",
		"Program log: AnchorError thrown in programs/gpl_session/src/lib.rs:215. Error Code: ValidityTooLong. Error Number: 6000. Error Message: Requested validity is too long.",
		"Program " + pda.MagicBlockProgramID.String() + " failed: custom program error: 0x1770",
	}
	gameInvalidTokenLogs = []string{
		"Program " + gameProgram + " invoke [1]",
		"Program log: AnchorError thrown in programs/game/src/lib.rs:40. Error Code: InvalidToken. Error Number: 6001. Error Message: Invalid session token.",
		"Program " + gameProgram + " failed: custom program error: 0x1771",
	}
	gameOwnErrorLogs = []string{
		"Program " + gameProgram + " invoke [1]",
		"Program log: AnchorError occurred. Error Code: Cheater. Error Number: 6000. Error Message: No cheating.",
		"Program " + gameProgram + " failed: custom program error: 0x1770",
	}
)

func custom(idx, code float64) map[string]any {
	return map[string]any{"InstructionError": []any{idx, map[string]any{"Custom": code}}}
}

func TestParseSessionErrors(t *testing.T) {
	sessID := pda.MagicBlockProgramID
	gameID := solana.MustPublicKeyFromBase58(gameProgram)
	tests := []struct {
		name     string
		v        any
		logs     []string
		errName  string
		sentinel error
		program  *solana.PublicKey
	}{
		{"6000", custom(0, 6000), nil, "ValidityTooLong", ErrValidityTooLong, nil},
		{"6001", custom(1, 6001), nil, "InvalidToken", ErrInvalidToken, nil},
		{"6002", custom(0, 6002), nil, "NoToken", ErrNoToken, nil},
		{"6003", custom(2, 6003), nil, "InvalidAuthority", ErrInvalidAuthority, nil},
		{"anchor log", custom(0, 6000), validityLogs, "ValidityTooLong", ErrValidityTooLong, &sessID},
		{"session error raised by the target", custom(1, 6001), gameInvalidTokenLogs, "InvalidToken", ErrInvalidToken, &gameID},
		{"target's own 6000", custom(1, 6000), gameOwnErrorLogs, "Cheater", nil, &gameID},
		{"framework error", custom(0, 2006), nil, "ConstraintSeeds", txn.ErrConstraintSeeds, nil},
		{"system error", custom(0, 0), nil, "AccountAlreadyInUse", txn.ErrAccountInUse, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseTransactionError(tt.v, tt.logs)
			var pe *txn.ProgramError
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			require.Equal(t, tt.errName, pe.Name)
			require.Equal(t, tt.program, pe.ProgramID)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			} else {
				require.Nil(t, errors.Unwrap(err))
			}
			for _, other := range errorCodes {
				if other != tt.sentinel {
					require.NotErrorIs(t, err, other)
				}
			}
			// The generic parser leaves the code unnamed but errors.Is agrees.
			generic := txn.ParseTransactionError(tt.v, tt.logs)
			if tt.sentinel != nil {
				require.ErrorIs(t, generic, tt.sentinel)
			} else {
				require.NotErrorIs(t, generic, ErrValidityTooLong)
			}
		})
	}
}

func TestSessionErrorMessage(t *testing.T) {
	err := ParseTransactionError(custom(1, 6000), nil)
	require.EqualError(t, err, "txn: instruction 1: custom program error 6000 (0x1770) ValidityTooLong: Requested validity is too long")
	require.EqualError(t, ErrValidityTooLong, "client: requested validity is too long")
}
