package client

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

// The conformance tests check every builder against the embedded IDLs: discriminator,
// argument order and types, account order, writable and signer flags, fixed addresses
// and PDA seeds, for both deployments.

// argValues are the create arguments of one case, nil meaning None.
type argValues map[string]any

// encodeArgs encodes values in the IDL's argument order and types, independently of the
// builders' hand-written encoder.
func encodeArgs(t *testing.T, args []programidl.Field, vals argValues) []byte {
	t.Helper()
	out := []byte{}
	for _, a := range args {
		out = encodeValue(t, a.Type, vals[a.Name], out)
	}
	return out
}

func encodeValue(t *testing.T, typ programidl.Type, v any, out []byte) []byte {
	t.Helper()
	switch typ.Kind {
	case programidl.KindOption:
		if v == nil || reflect.ValueOf(v).IsNil() {
			return append(out, 0)
		}
		return encodeValue(t, *typ.Elem, reflect.ValueOf(v).Elem().Interface(), append(out, 1))
	case programidl.KindPrimitive:
		switch typ.Name {
		case "bool":
			if v.(bool) {
				return append(out, 1)
			}
			return append(out, 0)
		case "i64":
			return binary.LittleEndian.AppendUint64(out, uint64(v.(int64)))
		case "u64":
			return binary.LittleEndian.AppendUint64(out, v.(uint64))
		}
	}
	t.Fatalf("type %s not handled by the test encoder", typ)
	return nil
}

func ptr[T any](v T) *T { return &v }

var argCases = []argValues{
	{},
	{"top_up": ptr(true), "valid_until": ptr(int64(1_700_000_000))},
	{"top_up": ptr(true), "valid_until": ptr(int64(1_700_000_000)), "lamports": ptr(uint64(10_000_000))},
	{"top_up": ptr(false), "valid_until": ptr(int64(1_700_003_600))},
	{"top_up": ptr(true), "lamports": ptr(uint64(1))},
}

func (v argValues) createArgs() CreateArgs {
	var a CreateArgs
	a.TopUp, _ = v["top_up"].(*bool)
	if vu, ok := v["valid_until"].(*int64); ok {
		a.ValidUntil, a.ClusterTime = vu, *vu-60
	}
	a.Lamports, _ = v["lamports"].(*uint64)
	return a
}

// builderArgs are what a conformance case's builder is called with; each builder takes
// the half that belongs to it.
type builderArgs struct {
	create CreateArgs
	revoke RevokeArgs
}

// conformanceCase is one builder call with the value of every IDL account name.
type conformanceCase struct {
	kind     InstructionKind
	accounts map[string]solana.PublicKey
	token    TokenAccount // the token revoke instructions act on (their PDA seeds read it)
	build    func(a builderArgs) (solana.Instruction, error)
	// deviations lists "account.flag" entries where the builder knowingly differs from
	// the IDL.
	deviations map[string]bool
}

func conformanceCases(t *testing.T, programID solana.PublicKey) []conformanceCase {
	signer, auth, payer, target := key("signer"), key("authority"), key("payer"), key("target")
	v1Tok := TokenAccount{Version: pda.V1, Authority: auth, TargetProgram: target, SessionSigner: signer}
	v2Tok := TokenAccount{Version: pda.V2, Authority: auth, TargetProgram: target, SessionSigner: signer, FeePayer: payer}
	v1Addr, _, err := v1Tok.Address(programID)
	require.NoError(t, err)
	v2Addr, _, err := v2Tok.Address(programID)
	require.NoError(t, err)
	return []conformanceCase{
		{kind: CreateSession,
			accounts: map[string]solana.PublicKey{"session_signer": signer, "authority": auth, "target_program": target},
			build: func(a builderArgs) (solana.Instruction, error) {
				return NewCreateSession(CreateSessionAccounts{SessionSigner: signer, Authority: auth, TargetProgram: target}, a.create)
			}},
		{kind: CreateSessionWithPayer,
			accounts: map[string]solana.PublicKey{"session_signer": signer, "payer": payer, "authority": auth, "target_program": target},
			build: func(a builderArgs) (solana.Instruction, error) {
				return NewCreateSessionWithPayer(CreateSessionWithPayerAccounts{SessionSigner: signer, Payer: payer, Authority: auth, TargetProgram: target}, a.create)
			}},
		{kind: CreateSessionV2,
			accounts: map[string]solana.PublicKey{"session_signer": signer, "fee_payer": payer, "authority": auth, "target_program": target},
			build: func(a builderArgs) (solana.Instruction, error) {
				return NewCreateSessionV2(CreateSessionV2Accounts{SessionSigner: signer, FeePayer: payer, Authority: auth, TargetProgram: target}, a.create)
			}},
		{kind: RevokeSession, token: v1Tok,
			accounts: map[string]solana.PublicKey{"session_token": v1Addr, "authority": auth},
			build: func(a builderArgs) (solana.Instruction, error) {
				return NewRevokeSession(RevokeSessionAccounts{SessionToken: v1Addr, Authority: auth}, a.revoke)
			}},
		{kind: RevokeSessionV2, token: v2Tok,
			accounts: map[string]solana.PublicKey{"session_token": v2Addr, "fee_payer": payer, "authority": auth},
			build: func(a builderArgs) (solana.Instruction, error) {
				return NewRevokeSessionV2(RevokeSessionV2Accounts{SessionToken: v2Addr, FeePayer: payer, Authority: auth}, a.revoke)
			},
			// The program demands the authority's signature while the token is active.
			deviations: map[string]bool{"authority.signer": true}},
	}
}

// tokenField reads a field of the token that a PDA seed path like
// "session_token.target_program" names.
func tokenField(t *testing.T, tok TokenAccount, field string) solana.PublicKey {
	switch field {
	case "target_program":
		return tok.TargetProgram
	case "session_signer":
		return tok.SessionSigner
	case "authority":
		return tok.Authority
	}
	t.Fatalf("seed field %q", field)
	return solana.PublicKey{}
}

func checkAgainstIDL(t *testing.T, idl *programidl.IDL, programID solana.PublicKey, c conformanceCase, b builderArgs, args argValues, legacy bool) {
	t.Helper()
	want, err := idl.Instruction(c.kind.String())
	require.NoError(t, err)
	b.create.ProgramID, b.revoke.ProgramID = programID, programID
	ix, err := c.build(b)
	require.NoError(t, err)
	require.Equal(t, programID, ix.ProgramID())

	data := mustData(t, ix)
	require.Equal(t, want.Discriminator, data[:8], "discriminator")
	wantArgs := encodeArgs(t, want.Args, args)
	if legacy && len(data) > 8 {
		// The Gum-era IDL has no lamports argument; the builders always send it, which
		// those builds ignore (Anchor does not reject trailing argument bytes).
		require.Equal(t, wantArgs, data[8:8+len(wantArgs)], "arguments")
		if args["lamports"] == nil {
			require.Equal(t, []byte{0}, data[8+len(wantArgs):], "trailing lamports None")
		}
	} else {
		require.Equal(t, wantArgs, data[8:], "arguments")
	}

	metas := ix.Accounts()
	require.Len(t, metas, len(want.Accounts), "account count")
	byName := map[string]solana.PublicKey{}
	for i, acc := range want.Accounts {
		m := metas[i]
		byName[acc.Name] = m.PublicKey
		require.Equal(t, acc.Writable, m.IsWritable, "%s writable", acc.Name)
		if c.deviations[acc.Name+".signer"] {
			require.False(t, acc.Signer, "the IDL says %s does not sign", acc.Name)
		} else {
			require.Equal(t, acc.Signer, m.IsSigner, "%s signer", acc.Name)
		}
		if acc.Address != "" {
			require.Equal(t, acc.Address, m.PublicKey.String(), "%s fixed address", acc.Name)
		} else if acc.PDA == nil {
			require.Equal(t, c.accounts[acc.Name], m.PublicKey, "%s", acc.Name)
		}
	}
	for i, acc := range want.Accounts {
		if acc.PDA == nil {
			continue
		}
		var seeds [][]byte
		for _, s := range acc.PDA.Seeds {
			switch s.Kind {
			case programidl.SeedConst:
				seeds = append(seeds, s.Value)
			case programidl.SeedAccount:
				if owner, field, ok := strings.Cut(s.Path, "."); ok {
					require.Equal(t, acc.Name, owner)
					f := tokenField(t, c.token, field)
					seeds = append(seeds, f[:])
				} else {
					k := byName[s.Path]
					seeds = append(seeds, k[:])
				}
			default:
				t.Fatalf("seed kind %s", s.Kind)
			}
		}
		addr, _, err := solana.FindProgramAddress(seeds, programID)
		require.NoError(t, err)
		require.Equal(t, addr, metas[i].PublicKey, "%s is the IDL's PDA", acc.Name)
	}
}

func TestBuildersConformToIDL(t *testing.T) {
	idl, err := programidl.Session()
	require.NoError(t, err)
	require.Len(t, idl.Instructions, 5, "every IDL instruction has a builder")
	for _, programID := range []solana.PublicKey{pda.MagicBlockProgramID, pda.GumProgramID} {
		for _, c := range conformanceCases(t, programID) {
			t.Run(fmt.Sprint(c.kind, "/", programID), func(t *testing.T) {
				if c.kind >= RevokeSession {
					checkAgainstIDL(t, idl, programID, c, builderArgs{}, argValues{}, false)
					if c.kind == RevokeSessionV2 {
						c.deviations = nil
						checkAgainstIDL(t, idl, programID, c, builderArgs{revoke: RevokeArgs{AuthorityUnsigned: true}}, argValues{}, false)
					}
					return
				}
				for _, args := range argCases {
					checkAgainstIDL(t, idl, programID, c, builderArgs{create: args.createArgs()}, args, false)
				}
			})
		}
	}
}

func TestBuildersConformToGumIDL(t *testing.T) {
	idl, err := programidl.GumSession()
	require.NoError(t, err)
	for _, c := range conformanceCases(t, pda.GumProgramID) {
		if c.kind != CreateSession && c.kind != RevokeSession {
			_, err := idl.Instruction(c.kind.String())
			require.ErrorIs(t, err, programidl.ErrNotFound, "the Gum build has no %s", c.kind)
			continue
		}
		if c.kind == RevokeSession {
			checkAgainstIDL(t, idl, pda.GumProgramID, c, builderArgs{}, argValues{}, true)
			continue
		}
		for _, args := range argCases[:2] {
			checkAgainstIDL(t, idl, pda.GumProgramID, c, builderArgs{create: args.createArgs()}, args, true)
		}
	}
}

// TestAccountLayoutsConformToIDL walks the IDL's account fields, computing offsets from
// their types, and reads each field at its offset from the encoders' output.
func TestAccountLayoutsConformToIDL(t *testing.T) {
	idl, err := programidl.Session()
	require.NoError(t, err)
	tok := TokenAccount{Authority: key("authority"), TargetProgram: key("target"), SessionSigner: key("signer"),
		FeePayer: key("fee payer"), ValidUntil: -1234567890123}
	v1, _ := SessionToken{tok.Authority, tok.TargetProgram, tok.SessionSigner, tok.ValidUntil}.MarshalBinary()
	v2, _ := SessionTokenV2{tok.Authority, tok.TargetProgram, tok.SessionSigner, tok.FeePayer, tok.ValidUntil}.MarshalBinary()
	fields := map[string]any{"authority": tok.Authority, "target_program": tok.TargetProgram,
		"session_signer": tok.SessionSigner, "fee_payer": tok.FeePayer, "valid_until": tok.ValidUntil}

	for _, c := range []struct {
		name string
		v    pda.Version
		data []byte
		size int
	}{{"SessionToken", pda.V1, v1, SessionTokenLen}, {"SessionTokenV2", pda.V2, v2, SessionTokenV2Len}} {
		acc, err := idl.Account(c.name)
		require.NoError(t, err)
		disc, ok := TokenDiscriminator(c.v)
		require.True(t, ok)
		require.Equal(t, acc.Discriminator, disc[:])
		require.Equal(t, disc[:], c.data[:8])
		off := len(acc.Discriminator)
		for _, f := range acc.Fields {
			n, ok := idl.FixedSize(f.Type)
			require.True(t, ok, f.Name)
			raw := c.data[off : off+n]
			switch f.Type.String() {
			case "pubkey":
				require.Equal(t, fields[f.Name], solana.PublicKey(raw), "%s.%s at %d", c.name, f.Name, off)
			case "i64":
				require.Equal(t, fields[f.Name], int64(binary.LittleEndian.Uint64(raw)), "%s.%s at %d", c.name, f.Name, off)
			default:
				t.Fatalf("field type %s", f.Type)
			}
			off += n
		}
		require.Equal(t, c.size, off, "%s length", c.name)
		require.Len(t, c.data, c.size)
	}
}

func TestErrorTableConformsToIDL(t *testing.T) {
	idl, err := programidl.Session()
	require.NoError(t, err)
	require.Len(t, idl.Errors, len(errorCodes))
	for i, e := range idl.Errors {
		c := errorCodes[i]
		require.Equal(t, e.Code, c.Code())
		require.Equal(t, e.Name, c.Name())
		require.Equal(t, e.Msg, c.Msg())
		err := ParseTransactionError(custom(0, float64(e.Code)), nil)
		require.ErrorIs(t, err, c)
	}
}
