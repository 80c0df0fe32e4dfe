package client

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/mr-tron/base58"
	"github.com/near/borsh-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

type referenceFile struct {
	Instructions []struct {
		Call       string  `json:"call"`
		Kind       string  `json:"kind"`
		TopUp      *bool   `json:"top_up"`
		ValidUntil *int64  `json:"valid_until"`
		Lamports   *uint64 `json:"lamports"`
		Data       string  `json:"data"`
	} `json:"instructions"`
	Discriminators      map[string]string `json:"discriminators"`
	DiscriminatorsU64LE map[string]uint64 `json:"discriminators_u64_le"`
	SessionTokenBase58  string            `json:"session_token_discriminator_base58"`
}

func loadReference(t *testing.T) referenceFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference_examples.json"))
	require.NoError(t, err)
	var ref referenceFile
	require.NoError(t, json.Unmarshal(b, &ref))
	return ref
}

func kindByName(t *testing.T, name string) InstructionKind {
	t.Helper()
	for k := CreateSession; k <= RevokeSessionV2; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("no instruction %q", name)
	return 0
}

// build runs the builder for kind with fixed accounts.
func build(t *testing.T, kind InstructionKind, opts ...Option) (solana.Instruction, error) {
	t.Helper()
	switch kind {
	case CreateSession:
		return NewCreateSession(CreateSessionAccounts{SessionSigner: key("signer"), Authority: key("authority"), TargetProgram: key("target")}, opts...)
	case CreateSessionWithPayer:
		return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: key("signer"), Payer: key("payer"), Authority: key("authority"), TargetProgram: key("target")}, opts...)
	case CreateSessionV2:
		return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: key("signer"), FeePayer: key("payer"), Authority: key("authority"), TargetProgram: key("target")}, opts...)
	case RevokeSession:
		return NewRevokeSession(RevokeSessionAccounts{SessionToken: key("token"), Authority: key("authority")}, opts...)
	case RevokeSessionV2:
		return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: key("token"), FeePayer: key("payer"), Authority: key("authority")}, opts...)
	}
	t.Fatalf("kind %v", kind)
	return nil, nil
}

// TestReferenceExamples reproduces every worked example of the wire reference through
// the builders.
func TestReferenceExamples(t *testing.T) {
	ref := loadReference(t)
	require.Len(t, ref.Instructions, 6)
	for _, ex := range ref.Instructions {
		t.Run(ex.Call, func(t *testing.T) {
			var opts []Option
			if ex.TopUp != nil {
				opts = append(opts, WithTopUp(*ex.TopUp))
			}
			if ex.ValidUntil != nil {
				opts = append(opts, WithValidUntil(*ex.ValidUntil), WithClusterTime(*ex.ValidUntil-1800))
			}
			if ex.Lamports != nil {
				opts = append(opts, WithLamports(*ex.Lamports))
			}
			ix, err := build(t, kindByName(t, ex.Kind), opts...)
			require.NoError(t, err)
			require.Equal(t, ex.Data, hex.EncodeToString(mustData(t, ix)))
		})
	}
	for name, want := range ref.Discriminators {
		var got [8]byte
		if name == "SessionToken" || name == "SessionTokenV2" {
			v := pda.V1
			if name == "SessionTokenV2" {
				v = pda.V2
			}
			var ok bool
			got, ok = TokenDiscriminator(v)
			require.True(t, ok)
		} else {
			got = kindByName(t, name).Discriminator()
		}
		require.Equal(t, want, hex.EncodeToString(got[:]), name)
		require.Equal(t, ref.DiscriminatorsU64LE[name], binary.LittleEndian.Uint64(got[:]), name)
	}
	d, _ := TokenDiscriminator(pda.V1)
	require.Equal(t, ref.SessionTokenBase58, base58.Encode(d[:]))
}

// TestBuilderAccounts pins each builder's metas to the tables of wire reference §3.2.
func TestBuilderAccounts(t *testing.T) {
	sys := solana.SystemProgramID
	v1Token, _, err := pda.SessionToken(pda.MagicBlockProgramID, key("target"), key("signer"), key("authority"))
	require.NoError(t, err)
	v2Token, _, err := pda.SessionTokenV2(pda.MagicBlockProgramID, key("target"), key("signer"), key("authority"))
	require.NoError(t, err)
	tests := []struct {
		kind InstructionKind
		opts []Option
		want []meta
	}{
		{CreateSession, nil, []meta{{v1Token, true, false}, {key("signer"), true, true}, {key("authority"), true, true}, {key("target"), false, false}, {sys, false, false}}},
		{CreateSessionWithPayer, nil, []meta{{v1Token, true, false}, {key("signer"), true, true}, {key("payer"), true, true}, {key("authority"), false, true}, {key("target"), false, false}, {sys, false, false}}},
		{CreateSessionV2, nil, []meta{{v2Token, true, false}, {key("signer"), true, true}, {key("payer"), true, true}, {key("authority"), false, true}, {key("target"), false, false}, {sys, false, false}}},
		{RevokeSession, nil, []meta{{key("token"), true, false}, {key("authority"), true, false}, {sys, false, false}}},
		{RevokeSessionV2, nil, []meta{{key("token"), true, false}, {key("payer"), true, false}, {key("authority"), false, true}, {sys, false, false}}},
		{RevokeSessionV2, []Option{WithAuthoritySigner(false)}, []meta{{key("token"), true, false}, {key("payer"), true, false}, {key("authority"), false, false}, {sys, false, false}}},
	}
	for _, tt := range tests {
		ix, err := build(t, tt.kind, tt.opts...)
		require.NoError(t, err)
		require.Equal(t, tt.want, metas(ix), tt.kind.String())
		require.Equal(t, pda.MagicBlockProgramID, ix.ProgramID())
		ix, err = build(t, tt.kind, append(tt.opts, WithProgramID(pda.GumProgramID))...)
		require.NoError(t, err)
		require.Equal(t, pda.GumProgramID, ix.ProgramID())
	}
}

func TestSessionTokenAccountGivenOrCached(t *testing.T) {
	given := key("precomputed")
	ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t"), SessionToken: given})
	require.NoError(t, err)
	require.Equal(t, given, ix.Accounts()[0].PublicKey, "a given address is used as is")

	cache := pda.NewCache(8)
	for _, program := range []solana.PublicKey{pda.MagicBlockProgramID, pda.GumProgramID} {
		want, _, err := pda.SessionToken(program, key("t"), key("s"), key("a"))
		require.NoError(t, err)
		for range 2 {
			ix, err = NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t")},
				WithPDACache(cache), WithProgramID(program))
			require.NoError(t, err)
			require.Equal(t, want, ix.Accounts()[0].PublicKey, "PDA is derived under the chosen program")
		}
	}
}

func TestCreateTimeChecks(t *testing.T) {
	const now = 1_700_000_000
	maxSecs := int64(MaxValidity / time.Second)
	tests := []struct {
		name    string
		opts    []Option
		wantErr error
		data    string // expected args after the discriminator, when no error
	}{
		{"defaults are None", nil, nil, "000000"},
		{"top-up only", []Option{WithTopUp(true)}, nil, "010100" + "00"},
		{"top-up false", []Option{WithTopUp(false)}, nil, "0100" + "0000"},
		{"top-up with lamports", []Option{WithTopUp(true), WithLamports(5_000_000)}, nil, "0101" + "00" + "01404b4c0000000000"},
		{"zero lamports top-up", []Option{WithTopUp(true), WithLamports(0)}, nil, "0101" + "00" + "010000000000000000"},
		{"lamports without top-up", []Option{WithLamports(1)}, ErrLamportsWithoutTopUp, ""},
		{"lamports with top-up false", []Option{WithTopUp(false), WithLamports(1)}, ErrLamportsWithoutTopUp, ""},
		{"valid-until needs cluster time", []Option{WithValidUntil(now + 60)}, ErrClusterTimeRequired, ""},
		{"validity needs cluster time", []Option{WithValidity(time.Minute)}, ErrClusterTimeRequired, ""},
		{"exactly 7 days", []Option{WithClusterTime(now), WithValidUntil(now + maxSecs)}, nil, "00" + "01" + le64(now+maxSecs) + "00"},
		{"7 days + 1 s", []Option{WithClusterTime(now), WithValidUntil(now + maxSecs + 1)}, ErrValidityTooLong, ""},
		{"validity 7 days + 1 s", []Option{WithClusterTime(now), WithValidity(MaxValidity + time.Second)}, ErrValidityTooLong, ""},
		{"far future, negative now", []Option{WithClusterTime(-1 << 62), WithValidUntil(1 << 62)}, ErrValidityTooLong, ""},
		{"valid-until in the past", []Option{WithClusterTime(now), WithValidUntil(now - 1)}, ErrValidUntilNotAfterNow, ""},
		{"valid-until equal to now", []Option{WithClusterTime(now), WithValidUntil(now)}, ErrValidUntilNotAfterNow, ""},
		{"validity below a second", []Option{WithClusterTime(now), WithValidity(time.Millisecond)}, ErrValidUntilNotAfterNow, ""},
		{"validity one hour", []Option{WithClusterTime(now), WithValidity(time.Hour + 900*time.Millisecond)}, nil, "00" + "01" + le64(now+3600) + "00"},
		{"both valid-until and validity", []Option{WithClusterTime(now), WithValidity(time.Hour), WithValidUntil(now + 5)}, ErrInvalidOption, ""},
		{"cluster time alone is fine", []Option{WithClusterTime(now)}, nil, "000000"},
		{"zero option", []Option{{}}, ErrInvalidOption, ""},
		{"revoke option on create", []Option{WithAuthoritySigner(true)}, ErrInvalidOption, ""},
		{"zero program id", []Option{WithProgramID(solana.PublicKey{})}, ErrInvalidOption, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []InstructionKind{CreateSession, CreateSessionWithPayer, CreateSessionV2} {
				ix, err := build(t, kind, tt.opts...)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr, kind.String())
					require.Contains(t, err.Error(), kind.String(), "the error names the instruction")
					require.Nil(t, ix)
					continue
				}
				require.NoError(t, err)
				d := kind.Discriminator()
				require.Equal(t, hex.EncodeToString(d[:])+tt.data, hex.EncodeToString(mustData(t, ix)))
			}
		})
	}
}

func le64(v int64) string {
	return hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

func TestValidityTooLongIsTheProgramSentinel(t *testing.T) {
	_, err := build(t, CreateSession, WithClusterTime(0), WithValidity(8*24*time.Hour))
	require.ErrorIs(t, err, ErrValidityTooLong)
	progErr := ParseTransactionError(map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 6000.0}}}, nil)
	require.ErrorIs(t, progErr, ErrValidityTooLong, "builder and program error 6000 share one sentinel")
}

func TestRevokeOptions(t *testing.T) {
	for _, tt := range []struct {
		kind InstructionKind
		opts []Option
		ok   bool
	}{
		{RevokeSession, []Option{WithProgramID(pda.GumProgramID)}, true},
		{RevokeSession, []Option{WithAuthoritySigner(true)}, false},
		{RevokeSession, []Option{WithTopUp(true)}, false},
		{RevokeSessionV2, []Option{WithAuthoritySigner(false), WithProgramID(key("p"))}, true},
		{RevokeSessionV2, []Option{WithValidUntil(5)}, false},
		{RevokeSessionV2, []Option{{}}, false},
		{RevokeSessionV2, []Option{WithProgramID(solana.PublicKey{})}, false},
	} {
		_, err := build(t, tt.kind, tt.opts...)
		if tt.ok {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, ErrInvalidOption)
		}
	}
}

func TestMissingAccounts(t *testing.T) {
	s, p, a, tg, tok := key("s"), key("p"), key("a"), key("t"), key("tok")
	var z solana.PublicKey
	tests := []struct {
		name    string
		build   func() (solana.Instruction, error)
		account string
	}{
		{"create signer", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{Authority: a, TargetProgram: tg})
		}, "session_signer"},
		{"create authority", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: s, TargetProgram: tg})
		}, "authority"},
		{"create target", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: s, Authority: a})
		}, "target_program"},
		{"with payer payer", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Authority: a, TargetProgram: tg})
		}, "payer"},
		{"with payer signer", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{Payer: p, Authority: a, TargetProgram: tg})
		}, "session_signer"},
		{"with payer authority", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Payer: p, TargetProgram: tg})
		}, "authority"},
		{"with payer target", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Payer: p, Authority: a})
		}, "target_program"},
		{"v2 fee payer", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, Authority: a, TargetProgram: tg})
		}, "fee_payer"},
		{"v2 signer", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{FeePayer: p, Authority: a, TargetProgram: tg})
		}, "session_signer"},
		{"v2 authority", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, FeePayer: p, TargetProgram: tg})
		}, "authority"},
		{"v2 target", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, FeePayer: p, Authority: a})
		}, "target_program"},
		{"revoke token", func() (solana.Instruction, error) {
			return NewRevokeSession(RevokeSessionAccounts{SessionToken: z, Authority: a})
		}, "session_token"},
		{"revoke authority", func() (solana.Instruction, error) {
			return NewRevokeSession(RevokeSessionAccounts{SessionToken: tok})
		}, "authority"},
		{"revoke v2 token", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{FeePayer: p, Authority: a})
		}, "session_token"},
		{"revoke v2 fee payer", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, Authority: a})
		}, "fee_payer"},
		{"revoke v2 authority", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, FeePayer: p})
		}, "authority"},
	}
	for _, tt := range tests {
		ix, err := tt.build()
		require.ErrorIs(t, err, ErrMissingAccount, tt.name)
		require.Contains(t, err.Error(), tt.account+" is the zero key", tt.name)
		require.Nil(t, ix)
	}
}

func TestEffectiveCreate(t *testing.T) {
	const now = 1_700_000_000
	tests := []struct {
		name string
		opts []Option
		want CreateEffect
		err  error
	}{
		{"defaults", []Option{WithClusterTime(now)}, CreateEffect{0, now + 3600}, nil},
		{"default top-up", []Option{WithClusterTime(now), WithTopUp(true)}, CreateEffect{DefaultTopUpLamports, now + 3600}, nil},
		{"top-up false", []Option{WithClusterTime(now), WithTopUp(false)}, CreateEffect{0, now + 3600}, nil},
		{"custom amount and expiry", []Option{WithClusterTime(now), WithTopUp(true), WithLamports(42), WithValidUntil(now + 60)}, CreateEffect{42, now + 60}, nil},
		{"validity", []Option{WithClusterTime(now), WithValidity(2 * time.Hour)}, CreateEffect{0, now + 7200}, nil},
		{"needs cluster time", []Option{WithTopUp(true)}, CreateEffect{}, ErrClusterTimeRequired},
		{"same checks as builders", []Option{WithClusterTime(now), WithValidUntil(now - 5)}, CreateEffect{}, ErrValidUntilNotAfterNow},
	}
	for _, tt := range tests {
		got, err := EffectiveCreate(tt.opts...)
		if tt.err != nil {
			require.ErrorIs(t, err, tt.err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, got, tt.name)
	}
}

func TestInstructionKind(t *testing.T) {
	names := []string{"create_session", "create_session_with_payer", "create_session_v2", "revoke_session", "revoke_session_v2"}
	for i, name := range names {
		k := CreateSession + InstructionKind(i)
		require.Equal(t, name, k.String())
		d := k.Discriminator()
		got, ok := InstructionKindOf(append(d[:], 1, 2, 3))
		require.True(t, ok)
		require.Equal(t, k, got)
	}
	require.Equal(t, "InstructionKind(0)", InstructionKind(0).String())
	require.Equal(t, "InstructionKind(6)", InstructionKind(6).String())
	require.Equal(t, [8]byte{}, InstructionKind(9).Discriminator())
	_, ok := InstructionKindOf([]byte{242, 193, 143})
	require.False(t, ok)
	_, ok = InstructionKindOf(make([]byte, 8))
	require.False(t, ok)
}

// TestInstructionsAreFresh: solana-go's NewTransaction writes through the metas, so
// instructions must never share them.
func TestInstructionsAreFresh(t *testing.T) {
	a, err := build(t, RevokeSession)
	require.NoError(t, err)
	b, err := build(t, RevokeSession)
	require.NoError(t, err)
	require.NotSame(t, a.Accounts()[1], b.Accounts()[1])
	// The token becomes the fee payer here: NewTransaction marks its meta as a signer.
	_, err = solana.NewTransaction([]solana.Instruction{a}, solana.Hash{}, solana.TransactionPayer(key("authority")))
	require.NoError(t, err)
	require.True(t, a.Accounts()[1].IsSigner, "solana-go mutated the first instruction")
	require.False(t, b.Accounts()[1].IsSigner, "the second instruction is unaffected")

	// Appending to the returned slices must not reach into the instruction.
	accts := a.Accounts()
	_ = append(accts, &solana.AccountMeta{})
	require.Len(t, a.Accounts(), 3)
	data := mustData(t, a)
	_ = append(data, 0xff)
	require.Len(t, mustData(t, a), 8)
}

// TestBuildConcurrently is for -race: builders share no state.
func TestBuildConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	cache := pda.NewCache(16)
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t")},
					WithPDACache(cache), WithTopUp(i%2 == 0), WithClusterTime(int64(g)), WithValidity(time.Hour))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := solana.NewTransaction([]solana.Instruction{ix}, solana.Hash{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// borshCreateArgs is the create instructions' argument struct as near/borsh-go sees it.
type borshCreateArgs struct {
	TopUp      *bool
	ValidUntil *int64
	Lamports   *uint64
}

// TestCreateArgsMatchBorshGo cross-checks the hand-written encoder against borsh-go for
// every combination of present and absent arguments.
func TestCreateArgsMatchBorshGo(t *testing.T) {
	const now = 1_700_000_000
	for mask := range 16 {
		var opts []Option
		var want borshCreateArgs
		topUp := mask&1 != 0
		if mask&2 != 0 || mask&8 != 0 {
			opts = append(opts, WithTopUp(topUp || mask&8 != 0))
			b := topUp || mask&8 != 0
			want.TopUp = &b
		}
		if mask&4 != 0 {
			vu := int64(now + 100 + mask)
			opts = append(opts, WithValidUntil(vu), WithClusterTime(now))
			want.ValidUntil = &vu
		}
		if mask&8 != 0 {
			l := uint64(1<<40 + mask)
			opts = append(opts, WithLamports(l))
			want.Lamports = &l
		}
		ix, err := build(t, CreateSessionV2, opts...)
		require.NoError(t, err, "mask %d", mask)
		enc, err := borsh.Serialize(want)
		require.NoError(t, err)
		data := mustData(t, ix)
		require.Equal(t, enc, data[8:], "mask %d", mask)

		var back borshCreateArgs
		require.NoError(t, borsh.Deserialize(&back, data[8:]))
		require.Equal(t, want, back)
	}
}

func TestOptionErrorsNameTheOption(t *testing.T) {
	_, err := build(t, RevokeSession, WithLamports(3))
	require.EqualError(t, err, "client: revoke_session: invalid option: WithLamports does not apply")
	require.True(t, errors.Is(err, ErrInvalidOption))
}
