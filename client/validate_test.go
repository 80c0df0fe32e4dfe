package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

func TestValidateSessionToken(t *testing.T) {
	const vu = 1_700_003_600
	target, signer, authority := key("game"), key("session key"), key("player")
	prog := pda.MagicBlockProgramID

	v1Addr, _, err := pda.SessionToken(prog, target, signer, authority)
	require.NoError(t, err)
	v2Addr, _, err := pda.SessionTokenV2(prog, target, signer, authority)
	require.NoError(t, err)
	gumAddr, _, err := pda.SessionToken(pda.GumProgramID, target, signer, authority)
	require.NoError(t, err)
	v1, _ := SessionToken{Authority: authority, TargetProgram: target, SessionSigner: signer, ValidUntil: vu}.MarshalBinary()
	v2, _ := SessionTokenV2{Authority: authority, TargetProgram: target, SessionSigner: signer, FeePayer: key("payer"), ValidUntil: vu}.MarshalBinary()
	// A token whose data names another authority, placed at the expected PDA (cannot be
	// made by the program, but an off-chain validator sees whatever it is given).
	forged, _ := SessionToken{Authority: key("mallory"), TargetProgram: target, SessionSigner: signer, ValidUntil: vu}.MarshalBinary()

	base := Expected{TargetProgram: target, SessionSigner: signer, Authority: authority,
		ClusterTime: vu - 1, Signers: []solana.PublicKey{key("fee payer"), signer}}
	with := func(f func(*Expected)) Expected { e := base; f(&e); return e }

	tests := []struct {
		name    string
		addr    solana.PublicKey
		owner   solana.PublicKey
		data    []byte
		want    Expected
		wantErr error
		detail  string
	}{
		{"v1 valid", v1Addr, prog, v1, base, nil, ""},
		{"v2 valid", v2Addr, prog, v2, base, nil, ""},
		{"v1 declared", v1Addr, prog, v1, with(func(e *Expected) { e.Version = pda.V1 }), nil, ""},
		{"v2 declared", v2Addr, prog, v2, with(func(e *Expected) { e.Version = pda.V2; e.Cache = pda.NewCache(4) }), nil, ""},
		{"gum deployment", gumAddr, pda.GumProgramID, v1, with(func(e *Expected) { e.ProgramID = pda.GumProgramID }), nil, ""},
		{"a: wrong owner", v1Addr, solana.SystemProgramID, v1, base, ErrWrongOwner, ""},
		{"a: owned by the other deployment", v1Addr, pda.GumProgramID, v1, base, ErrWrongOwner, ""},
		{"b: v2 where v1 is declared", v2Addr, prog, v2, with(func(e *Expected) { e.Version = pda.V1 }), ErrNotSessionToken, ""},
		{"b: short", v1Addr, prog, v1[:100], base, ErrNotSessionToken, ""},
		{"b: empty", v1Addr, prog, nil, base, ErrNotSessionToken, ""},
		{"c: other target", v1Addr, prog, v1, with(func(e *Expected) { e.TargetProgram = key("other game") }), ErrPDAMismatch, "target program"},
		{"c: other signer", v1Addr, prog, v1, with(func(e *Expected) {
			e.SessionSigner = key("other key")
			e.Signers = []solana.PublicKey{key("other key")}
		}), ErrPDAMismatch, "session signer"},
		{"c: other authority", v1Addr, prog, v1, with(func(e *Expected) { e.Authority = key("mallory") }), ErrPDAMismatch, "authority"},
		{"c: v1 data at the v2 address", v2Addr, prog, v1, base, ErrPDAMismatch, "not at its PDA"},
		{"c: gum token checked against magicblock", gumAddr, prog, v1, base, ErrPDAMismatch, "not at its PDA"},
		{"d: authority in data differs", v1Addr, prog, forged, base, ErrAuthorityMismatch, "token has"},
		{"e: expired at valid_until", v1Addr, prog, v1, with(func(e *Expected) { e.ClusterTime = vu }), ErrExpired, "valid_until 1700003600, cluster time 1700003600"},
		{"e: v2 expired", v2Addr, prog, v2, with(func(e *Expected) { e.ClusterTime = vu + 100 }), ErrExpired, ""},
		{"f: signer missing", v1Addr, prog, v1, with(func(e *Expected) { e.Signers = []solana.PublicKey{authority} }), ErrSignerMissing, "not among the 1 signers"},
		{"f: no signers", v2Addr, prog, v2, with(func(e *Expected) { e.Signers = nil }), ErrSignerMissing, ""},
		{"f: skipped with no transaction", v2Addr, prog, v2, with(func(e *Expected) { e.Signers = nil; e.NoTransaction = true }), nil, ""},
		{"f: no transaction, expiry still checked", v1Addr, prog, v1, with(func(e *Expected) { e.NoTransaction = true; e.ClusterTime = vu }), ErrExpired, ""},
		// Zero keys take the token's own: the token judged by itself.
		{"own: v1 by itself", v1Addr, prog, v1, Expected{ClusterTime: vu - 1, NoTransaction: true}, nil, ""},
		{"own: v2 by itself", v2Addr, prog, v2, Expected{ClusterTime: vu - 1, NoTransaction: true, Cache: pda.NewCache(4)}, nil, ""},
		{"own: zero target", v1Addr, prog, v1, with(func(e *Expected) { e.TargetProgram = solana.PublicKey{} }), nil, ""},
		{"own: zero signer is the signer step f looks for", v1Addr, prog, v1, with(func(e *Expected) {
			e.SessionSigner = solana.PublicKey{}
			e.Signers = []solana.PublicKey{authority}
		}), ErrSignerMissing, signer.String()},
		{"own: zero authority", v2Addr, prog, v2, with(func(e *Expected) { e.Authority = solana.PublicKey{} }), nil, ""},
		{"own: lookalike off its PDA", v2Addr, prog, v1, Expected{ClusterTime: vu - 1, NoTransaction: true}, ErrPDAMismatch, "not at its PDA"},
		{"own: forged authority off its PDA", v1Addr, prog, forged, Expected{ClusterTime: vu - 1, NoTransaction: true}, ErrPDAMismatch, "not at its PDA"},
		{"own: expired by itself", v1Addr, prog, v1, Expected{ClusterTime: vu, NoTransaction: true}, ErrExpired, ""},
		{"own: given keys still checked", v1Addr, prog, v1, Expected{Authority: key("mallory"), ClusterTime: vu - 1, NoTransaction: true}, ErrPDAMismatch, "authority"},
		{"own: wrong owner", v1Addr, solana.SystemProgramID, v1, Expected{NoTransaction: true}, ErrWrongOwner, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := ValidateSessionToken(tt.addr, tt.owner, tt.data, tt.want)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.Equal(t, authority, tok.Authority)
				require.Equal(t, int64(vu), tok.ValidUntil)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve))
			require.Equal(t, tt.addr, ve.Token)
			require.True(t, strings.HasPrefix(err.Error(), "client: token "+tt.addr.String()+": "), err.Error())
			require.Contains(t, err.Error(), tt.detail)
			for _, other := range []error{ErrWrongOwner, ErrNotSessionToken, ErrPDAMismatch, ErrAuthorityMismatch, ErrExpired, ErrSignerMissing} {
				if other != tt.wantErr {
					require.NotErrorIs(t, err, other, "one sentinel per failed check")
				}
			}
			if errors.Is(err, ErrWrongOwner) || errors.Is(err, ErrNotSessionToken) {
				require.Zero(t, tok, "nothing decoded")
			} else {
				require.NotZero(t, tok.Version, "later failures still return the decoded token")
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	_, err := ValidateSessionToken(key("addr"), solana.SystemProgramID, nil, Expected{})
	require.EqualError(t, err, "client: token "+key("addr").String()+
		": account owned by 11111111111111111111111111111111, not by the session program KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")
}
