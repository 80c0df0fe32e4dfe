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
func build(t *testing.T, kind InstructionKind, b builderArgs) (solana.Instruction, error) {
	t.Helper()
	switch kind {
	case CreateSession:
		return NewCreateSession(CreateSessionAccounts{SessionSigner: key("signer"), Authority: key("authority"), TargetProgram: key("target")}, b.create)
	case CreateSessionWithPayer:
		return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: key("signer"), Payer: key("payer"), Authority: key("authority"), TargetProgram: key("target")}, b.create)
	case CreateSessionV2:
		return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: key("signer"), FeePayer: key("payer"), Authority: key("authority"), TargetProgram: key("target")}, b.create)
	case RevokeSession:
		return NewRevokeSession(RevokeSessionAccounts{SessionToken: key("token"), Authority: key("authority")}, b.revoke)
	case RevokeSessionV2:
		return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: key("token"), FeePayer: key("payer"), Authority: key("authority")}, b.revoke)
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
			args := CreateArgs{TopUp: ex.TopUp, ValidUntil: ex.ValidUntil, Lamports: ex.Lamports}
			if ex.ValidUntil != nil {
				args.ClusterTime = *ex.ValidUntil - 1800
			}
			ix, err := build(t, kindByName(t, ex.Kind), builderArgs{create: args})
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
		args builderArgs
		want []meta
	}{
		{CreateSession, builderArgs{}, []meta{{v1Token, true, false}, {key("signer"), true, true}, {key("authority"), true, true}, {key("target"), false, false}, {sys, false, false}}},
		{CreateSessionWithPayer, builderArgs{}, []meta{{v1Token, true, false}, {key("signer"), true, true}, {key("payer"), true, true}, {key("authority"), false, true}, {key("target"), false, false}, {sys, false, false}}},
		{CreateSessionV2, builderArgs{}, []meta{{v2Token, true, false}, {key("signer"), true, true}, {key("payer"), true, true}, {key("authority"), false, true}, {key("target"), false, false}, {sys, false, false}}},
		{RevokeSession, builderArgs{}, []meta{{key("token"), true, false}, {key("authority"), true, false}, {sys, false, false}}},
		{RevokeSessionV2, builderArgs{}, []meta{{key("token"), true, false}, {key("payer"), true, false}, {key("authority"), false, true}, {sys, false, false}}},
		{RevokeSessionV2, builderArgs{revoke: RevokeArgs{AuthorityUnsigned: true}}, []meta{{key("token"), true, false}, {key("payer"), true, false}, {key("authority"), false, false}, {sys, false, false}}},
	}
	for _, tt := range tests {
		ix, err := build(t, tt.kind, tt.args)
		require.NoError(t, err)
		require.Equal(t, tt.want, metas(ix), tt.kind.String())
		require.Equal(t, pda.MagicBlockProgramID, ix.ProgramID())
		gum := tt.args
		gum.create.ProgramID, gum.revoke.ProgramID = pda.GumProgramID, pda.GumProgramID
		ix, err = build(t, tt.kind, gum)
		require.NoError(t, err)
		require.Equal(t, pda.GumProgramID, ix.ProgramID())
	}
}

func TestSessionTokenAccountGivenOrCached(t *testing.T) {
	given := key("precomputed")
	ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t"), SessionToken: given}, CreateArgs{})
	require.NoError(t, err)
	require.Equal(t, given, ix.Accounts()[0].PublicKey, "a given address is used as is")

	cache := pda.NewCache(8)
	for _, program := range []solana.PublicKey{pda.MagicBlockProgramID, pda.GumProgramID} {
		want, _, err := pda.SessionToken(program, key("t"), key("s"), key("a"))
		require.NoError(t, err)
		for range 2 {
			ix, err = NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t")}, CreateArgs{PDACache: cache, ProgramID: program})
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
		args    CreateArgs
		wantErr error
		data    string // expected args after the discriminator, when no error
	}{
		{"defaults are None", CreateArgs{}, nil, "000000"},
		{"top-up only", CreateArgs{TopUp: new(true)}, nil, "010100" + "00"},
		{"top-up false", CreateArgs{TopUp: new(false)}, nil, "0100" + "0000"},
		{"top-up with lamports", CreateArgs{TopUp: new(true), Lamports: new(uint64(5_000_000))}, nil, "0101" + "00" + "01404b4c0000000000"},
		{"zero lamports top-up", CreateArgs{TopUp: new(true), Lamports: new(uint64(0))}, nil, "0101" + "00" + "010000000000000000"},
		{"lamports without top-up", CreateArgs{Lamports: new(uint64(1))}, ErrLamportsWithoutTopUp, ""},
		{"lamports with top-up false", CreateArgs{TopUp: new(false), Lamports: new(uint64(1))}, ErrLamportsWithoutTopUp, ""},
		{"valid-until needs cluster time", CreateArgs{ValidUntil: new(int64(now + 60))}, ErrClusterTimeRequired, ""},
		{"validity needs cluster time", CreateArgs{ValidFor: time.Minute}, ErrClusterTimeRequired, ""},
		{"exactly 7 days", CreateArgs{ClusterTime: now, ValidUntil: new(int64(now + maxSecs))}, nil, "00" + "01" + le64(now+maxSecs) + "00"},
		{"7 days + 1 s", CreateArgs{ClusterTime: now, ValidUntil: new(int64(now + maxSecs + 1))}, ErrValidityTooLong, ""},
		{"validity 7 days + 1 s", CreateArgs{ClusterTime: now, ValidFor: MaxValidity + time.Second}, ErrValidityTooLong, ""},
		{"far future, negative now", CreateArgs{ClusterTime: -1 << 62, ValidUntil: new(int64(1 << 62))}, ErrValidityTooLong, ""},
		{"valid-until in the past", CreateArgs{ClusterTime: now, ValidUntil: new(int64(now - 1))}, ErrValidUntilNotAfterNow, ""},
		{"valid-until equal to now", CreateArgs{ClusterTime: now, ValidUntil: new(int64(now))}, ErrValidUntilNotAfterNow, ""},
		{"validity below a second", CreateArgs{ClusterTime: now, ValidFor: time.Millisecond}, ErrValidUntilNotAfterNow, ""},
		{"validity one hour", CreateArgs{ClusterTime: now, ValidFor: time.Hour + 900*time.Millisecond}, nil, "00" + "01" + le64(now+3600) + "00"},
		{"both valid-until and validity", CreateArgs{ClusterTime: now, ValidFor: time.Hour, ValidUntil: new(int64(now + 5))}, ErrInvalidArgs, ""},
		{"cluster time alone is fine", CreateArgs{ClusterTime: now}, nil, "000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []InstructionKind{CreateSession, CreateSessionWithPayer, CreateSessionV2} {
				ix, err := build(t, kind, builderArgs{create: tt.args})
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
	_, err := build(t, CreateSession, builderArgs{create: CreateArgs{ClusterTime: 1, ValidFor: 8 * 24 * time.Hour}})
	require.ErrorIs(t, err, ErrValidityTooLong)
	progErr := ParseTransactionError(map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 6000.0}}}, nil)
	require.ErrorIs(t, progErr, ErrValidityTooLong, "builder and program error 6000 share one sentinel")
}

func TestRevokeArgs(t *testing.T) {
	for _, tt := range []struct {
		kind InstructionKind
		args RevokeArgs
		ok   bool
	}{
		{RevokeSession, RevokeArgs{ProgramID: pda.GumProgramID}, true},
		{RevokeSession, RevokeArgs{AuthorityUnsigned: true}, false},
		{RevokeSessionV2, RevokeArgs{AuthorityUnsigned: true, ProgramID: key("p")}, true},
		{RevokeSessionV2, RevokeArgs{}, true},
	} {
		_, err := build(t, tt.kind, builderArgs{revoke: tt.args})
		if tt.ok {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, ErrInvalidArgs)
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
			return NewCreateSession(CreateSessionAccounts{Authority: a, TargetProgram: tg}, CreateArgs{})
		}, "session_signer"},
		{"create authority", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: s, TargetProgram: tg}, CreateArgs{})
		}, "authority"},
		{"create target", func() (solana.Instruction, error) {
			return NewCreateSession(CreateSessionAccounts{SessionSigner: s, Authority: a}, CreateArgs{})
		}, "target_program"},
		{"with payer payer", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Authority: a, TargetProgram: tg}, CreateArgs{})
		}, "payer"},
		{"with payer signer", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{Payer: p, Authority: a, TargetProgram: tg}, CreateArgs{})
		}, "session_signer"},
		{"with payer authority", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Payer: p, TargetProgram: tg}, CreateArgs{})
		}, "authority"},
		{"with payer target", func() (solana.Instruction, error) {
			return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: s, Payer: p, Authority: a}, CreateArgs{})
		}, "target_program"},
		{"v2 fee payer", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, Authority: a, TargetProgram: tg}, CreateArgs{})
		}, "fee_payer"},
		{"v2 signer", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{FeePayer: p, Authority: a, TargetProgram: tg}, CreateArgs{})
		}, "session_signer"},
		{"v2 authority", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, FeePayer: p, TargetProgram: tg}, CreateArgs{})
		}, "authority"},
		{"v2 target", func() (solana.Instruction, error) {
			return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: s, FeePayer: p, Authority: a}, CreateArgs{})
		}, "target_program"},
		{"revoke token", func() (solana.Instruction, error) {
			return NewRevokeSession(RevokeSessionAccounts{SessionToken: z, Authority: a}, RevokeArgs{})
		}, "session_token"},
		{"revoke authority", func() (solana.Instruction, error) {
			return NewRevokeSession(RevokeSessionAccounts{SessionToken: tok}, RevokeArgs{})
		}, "authority"},
		{"revoke v2 token", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{FeePayer: p, Authority: a}, RevokeArgs{})
		}, "session_token"},
		{"revoke v2 fee payer", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, Authority: a}, RevokeArgs{})
		}, "fee_payer"},
		{"revoke v2 authority", func() (solana.Instruction, error) {
			return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: tok, FeePayer: p}, RevokeArgs{})
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
		args CreateArgs
		want CreateEffect
		err  error
	}{
		{"defaults", CreateArgs{ClusterTime: now}, CreateEffect{0, now + 3600}, nil},
		{"default top-up", CreateArgs{ClusterTime: now, TopUp: new(true)}, CreateEffect{DefaultTopUpLamports, now + 3600}, nil},
		{"top-up false", CreateArgs{ClusterTime: now, TopUp: new(false)}, CreateEffect{0, now + 3600}, nil},
		{"custom amount and expiry", CreateArgs{ClusterTime: now, TopUp: new(true), Lamports: new(uint64(42)), ValidUntil: new(int64(now + 60))}, CreateEffect{42, now + 60}, nil},
		{"validity", CreateArgs{ClusterTime: now, ValidFor: 2 * time.Hour}, CreateEffect{0, now + 7200}, nil},
		{"needs cluster time", CreateArgs{TopUp: new(true)}, CreateEffect{}, ErrClusterTimeRequired},
		{"same checks as builders", CreateArgs{ClusterTime: now, ValidUntil: new(int64(now - 5))}, CreateEffect{}, ErrValidUntilNotAfterNow},
	}
	for _, tt := range tests {
		got, err := EffectiveCreate(tt.args)
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
	a, err := build(t, RevokeSession, builderArgs{})
	require.NoError(t, err)
	b, err := build(t, RevokeSession, builderArgs{})
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
				ix, err := NewCreateSession(CreateSessionAccounts{SessionSigner: key("s"), Authority: key("a"), TargetProgram: key("t")}, CreateArgs{PDACache: cache, TopUp: new(i%2 == 0), ClusterTime: 1_700_000_000 + int64(g), ValidFor: time.Hour})
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
		var args CreateArgs
		var want borshCreateArgs
		topUp := mask&1 != 0
		if mask&2 != 0 || mask&8 != 0 {
			b := topUp || mask&8 != 0
			args.TopUp, want.TopUp = &b, &b
		}
		if mask&4 != 0 {
			vu := int64(now + 100 + mask)
			args.ValidUntil, args.ClusterTime, want.ValidUntil = &vu, now, &vu
		}
		if mask&8 != 0 {
			l := uint64(1<<40 + mask)
			args.Lamports, want.Lamports = &l, &l
		}
		ix, err := build(t, CreateSessionV2, builderArgs{create: args})
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

func TestArgErrorsNameTheInstruction(t *testing.T) {
	_, err := build(t, RevokeSession, builderArgs{revoke: RevokeArgs{AuthorityUnsigned: true}})
	require.EqualError(t, err, "client: invalid arguments: revoke_session never asks for the authority's signature")
	require.True(t, errors.Is(err, ErrInvalidArgs))
	_, err = build(t, CreateSessionV2, builderArgs{create: CreateArgs{Lamports: new(uint64(3))}})
	require.EqualError(t, err, "client: lamports given without top-up: create_session_v2: the program ignores lamports unless top_up is true")
}

func TestMaxValidityIsTheDeployments(t *testing.T) {
	const now = 1_700_000_000
	require.Equal(t, MaxValidity, MaxValidityOf(pda.MagicBlockProgramID))
	require.Equal(t, GumMaxValidity, MaxValidityOf(pda.GumProgramID))
	require.Equal(t, MaxValidity, MaxValidityOf(key("a deployment of our own")))
	for _, tt := range []struct {
		name    string
		args    CreateArgs
		tooLong bool
	}{
		{"MagicBlock 7 days", CreateArgs{ClusterTime: now, ValidFor: MaxValidity}, false},
		{"Gum 1 day", CreateArgs{ProgramID: pda.GumProgramID, ClusterTime: now, ValidFor: 24 * time.Hour}, false},
		{"Gum 2 days", CreateArgs{ProgramID: pda.GumProgramID, ClusterTime: now, ValidFor: 48 * time.Hour}, true},
		{"Gum overridden", CreateArgs{ProgramID: pda.GumProgramID, ClusterTime: now, ValidFor: 48 * time.Hour, MaxValidity: MaxValidity}, false},
		{"a stricter deployment", CreateArgs{ClusterTime: now, ValidFor: 2 * time.Hour, MaxValidity: time.Hour}, true},
	} {
		_, err := build(t, CreateSession, builderArgs{create: tt.args})
		if tt.tooLong {
			require.ErrorIs(t, err, ErrValidityTooLong, tt.name)
		} else {
			require.NoError(t, err, tt.name)
		}
	}
}
