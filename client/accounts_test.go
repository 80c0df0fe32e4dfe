package client

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/near/borsh-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

type accountVector struct {
	Name          string           `json:"name"`
	Version       pda.Version      `json:"version"`
	Authority     solana.PublicKey `json:"authority"`
	TargetProgram solana.PublicKey `json:"target_program"`
	SessionSigner solana.PublicKey `json:"session_signer"`
	FeePayer      solana.PublicKey `json:"fee_payer"`
	ValidUntil    int64            `json:"valid_until"`
	Data          string           `json:"data"`
}

func loadAccountVectors(t testing.TB) []accountVector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "accounts.json"))
	require.NoError(t, err)
	var doc struct {
		Accounts []accountVector `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Len(t, doc.Accounts, 6)
	return doc.Accounts
}

// borshSessionToken and borshSessionTokenV2 are the account layouts as near/borsh-go
// sees them (discriminator as a leading fixed array).
type borshSessionToken struct {
	Disc          [8]byte
	Authority     [32]byte
	TargetProgram [32]byte
	SessionSigner [32]byte
	ValidUntil    int64
}

type borshSessionTokenV2 struct {
	Disc          [8]byte
	Authority     [32]byte
	TargetProgram [32]byte
	SessionSigner [32]byte
	FeePayer      [32]byte
	ValidUntil    int64
}

func TestAccountGoldenVectors(t *testing.T) {
	for _, v := range loadAccountVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			data := unhex(t, v.Data)
			want := TokenAccount{Version: v.Version, Authority: v.Authority, TargetProgram: v.TargetProgram,
				SessionSigner: v.SessionSigner, FeePayer: v.FeePayer, ValidUntil: v.ValidUntil}

			tok, err := DecodeToken(pda.MagicBlockProgramID, pda.MagicBlockProgramID, data)
			require.NoError(t, err)
			require.Equal(t, want, tok)

			var enc []byte
			switch v.Version {
			case pda.V1:
				require.Len(t, data, SessionTokenLen)
				st, err := DecodeSessionToken(pda.MagicBlockProgramID, pda.MagicBlockProgramID, data)
				require.NoError(t, err)
				require.Equal(t, want, st.TokenAccount())
				enc, err = st.MarshalBinary()
				require.NoError(t, err)

				var b borshSessionToken
				require.NoError(t, borsh.Deserialize(&b, data))
				require.Equal(t, borshSessionToken{sessionTokenDisc, st.Authority, st.TargetProgram, st.SessionSigner, st.ValidUntil}, b)
				viaBorsh, err := borsh.Serialize(b)
				require.NoError(t, err)
				require.Equal(t, data, viaBorsh)
			case pda.V2:
				require.Len(t, data, SessionTokenV2Len)
				st, err := DecodeSessionTokenV2(pda.MagicBlockProgramID, pda.MagicBlockProgramID, data)
				require.NoError(t, err)
				require.Equal(t, want, st.TokenAccount())
				enc, err = st.MarshalBinary()
				require.NoError(t, err)

				var b borshSessionTokenV2
				require.NoError(t, borsh.Deserialize(&b, data))
				require.Equal(t, borshSessionTokenV2{sessionTokenV2Disc, st.Authority, st.TargetProgram, st.SessionSigner, st.FeePayer, st.ValidUntil}, b)
				viaBorsh, err := borsh.Serialize(b)
				require.NoError(t, err)
				require.Equal(t, data, viaBorsh)
			}
			require.Equal(t, data, enc)
		})
	}
}

func TestAppendBinary(t *testing.T) {
	v1 := SessionToken{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), ValidUntil: 7}
	out, err := v1.AppendBinary([]byte("xy"))
	require.NoError(t, err)
	require.Equal(t, "xy", string(out[:2]))
	var back SessionToken
	require.NoError(t, back.UnmarshalBinary(out[2:]))
	require.Equal(t, v1, back)

	v2 := SessionTokenV2{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), FeePayer: key("f"), ValidUntil: -7}
	out, err = v2.AppendBinary(nil)
	require.NoError(t, err)
	var back2 SessionTokenV2
	require.NoError(t, back2.UnmarshalBinary(out))
	require.Equal(t, v2, back2)
}

func TestDecodeErrors(t *testing.T) {
	v1, _ := SessionToken{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), ValidUntil: 9}.MarshalBinary()
	v2, _ := SessionTokenV2{Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s"), FeePayer: key("f"), ValidUntil: 9}.MarshalBinary()
	prog := pda.MagicBlockProgramID
	other := pda.GumProgramID
	junk := append([]byte{1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 200)...)

	tests := []struct {
		name    string
		want    pda.Version // 0: DecodeToken
		owner   solana.PublicKey
		data    []byte
		wantErr error
		msg     string
	}{
		{"v1 wrong owner", pda.V1, other, v1, ErrWrongOwner,
			"client: account owned by 3ao63wcSRNa76bncC2M3KupNtXBFiDyNbgK52VG7dLaE, not by the session program KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5"},
		{"any wrong owner", 0, solana.SystemProgramID, nil, ErrWrongOwner,
			"client: account owned by 11111111111111111111111111111111, not by the session program KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5"},
		{"v1 empty", pda.V1, prog, nil, ErrNotSessionToken, "client: not a SessionToken: 0 bytes of data, no discriminator"},
		{"v1 short", pda.V1, prog, v1[:111], ErrNotSessionToken, "client: not a SessionToken: 111 bytes of data, need at least 112"},
		{"v2 as v1", pda.V1, prog, v2, ErrNotSessionToken, "client: not a SessionToken: discriminator b20355fe0d748029 is SessionTokenV2's"},
		{"v1 as v2", pda.V2, prog, v1, ErrNotSessionToken, "client: not a SessionTokenV2: discriminator e904730e2e15010f is SessionToken's"},
		{"v2 short", pda.V2, prog, v2[:143], ErrNotSessionToken, "client: not a SessionTokenV2: 143 bytes of data, need at least 144"},
		{"v2 junk", pda.V2, prog, junk, ErrNotSessionToken, "client: not a SessionTokenV2: discriminator 0102030405060708, want b20355fe0d748029"},
		{"any junk", 0, prog, junk, ErrNotSessionToken, "client: not a session token: discriminator 0102030405060708 matches neither SessionToken nor SessionTokenV2"},
		{"any short v2", 0, prog, v2[:112], ErrNotSessionToken, "client: not a SessionTokenV2: 112 bytes of data, need at least 144"},
		{"any 7 bytes", 0, prog, v1[:7], ErrNotSessionToken, "client: not a session token: 7 bytes of data, no discriminator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			switch tt.want {
			case pda.V1:
				var st SessionToken
				st, err = DecodeSessionToken(prog, tt.owner, tt.data)
				require.Zero(t, st)
			case pda.V2:
				var st SessionTokenV2
				st, err = DecodeSessionTokenV2(prog, tt.owner, tt.data)
				require.Zero(t, st)
			default:
				var tok TokenAccount
				tok, err = DecodeToken(prog, tt.owner, tt.data)
				require.Zero(t, tok)
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.EqualError(t, err, tt.msg)
			var ae *AccountError
			require.True(t, errors.As(err, &ae))
			require.Equal(t, len(tt.data), ae.Len)
			require.Equal(t, tt.want, ae.Want)
		})
	}
}

func TestUnmarshalBinaryChecksDataOnly(t *testing.T) {
	v1, _ := SessionToken{ValidUntil: 1}.MarshalBinary()
	var st SessionToken
	require.ErrorIs(t, st.UnmarshalBinary(v1[:100]), ErrNotSessionToken)
	var st2 SessionTokenV2
	require.ErrorIs(t, st2.UnmarshalBinary(v1), ErrNotSessionToken)
}

// Anchor ignores bytes after the fields, and so do the decoders.
func TestLongerDataIsAccepted(t *testing.T) {
	v1, _ := SessionToken{Authority: key("a"), ValidUntil: 3}.MarshalBinary()
	tok, err := DecodeToken(pda.MagicBlockProgramID, pda.MagicBlockProgramID, append(v1, 0xde, 0xad))
	require.NoError(t, err)
	require.Equal(t, TokenAccount{Version: pda.V1, Authority: key("a"), ValidUntil: 3}, tok)
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	v1, _ := SessionToken{Authority: key("a"), ValidUntil: 3}.MarshalBinary()
	v2, _ := SessionTokenV2{Authority: key("a"), ValidUntil: 3}.MarshalBinary()
	prog := pda.MagicBlockProgramID
	require.Zero(t, testing.AllocsPerRun(50, func() { _, _ = DecodeSessionToken(prog, prog, v1) }))
	require.Zero(t, testing.AllocsPerRun(50, func() { _, _ = DecodeSessionTokenV2(prog, prog, v2) }))
	require.Zero(t, testing.AllocsPerRun(50, func() { _, _ = DecodeToken(prog, prog, v2) }))
}

func TestTokenDiscriminator(t *testing.T) {
	_, ok := TokenDiscriminator(3)
	require.False(t, ok)
	d, ok := TokenDiscriminator(pda.V2)
	require.True(t, ok)
	require.Equal(t, "b20355fe0d748029", hex.EncodeToString(d[:]))
}

func TestTokenExpiry(t *testing.T) {
	const vu = 1_700_000_000
	v1 := TokenAccount{Version: pda.V1, ValidUntil: vu}
	v2 := TokenAccount{Version: pda.V2, ValidUntil: vu}
	tests := []struct {
		now                      int64
		active, v2NeedsAuthority bool
	}{
		{vu - 1, true, true},
		{vu, false, true}, // 3.0.11: expired; 3.0.10: still active, so ask for the signature
		{vu + 1, false, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.active, v1.Active(tt.now), "now %d", tt.now)
		require.Equal(t, tt.active, v2.Active(tt.now), "now %d", tt.now)
		require.False(t, v1.RevokeNeedsAuthority(tt.now), "V1 revoke never needs the authority")
		require.Equal(t, tt.v2NeedsAuthority, v2.RevokeNeedsAuthority(tt.now), "now %d", tt.now)
	}
}

func TestTokenAddress(t *testing.T) {
	for _, v := range []pda.Version{pda.V1, pda.V2} {
		tok := TokenAccount{Version: v, Authority: key("a"), TargetProgram: key("t"), SessionSigner: key("s")}
		got, bump, err := tok.Address(pda.GumProgramID)
		require.NoError(t, err)
		want, wantBump, err := solana.FindProgramAddress([][]byte{[]byte(v.SeedPrefix()), key("t").Bytes(), key("s").Bytes(), key("a").Bytes()}, pda.GumProgramID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, wantBump, bump)
	}
}

func FuzzDecodeToken(f *testing.F) {
	for _, v := range loadAccountVectors(f) {
		b, err := hex.DecodeString(v.Data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(sessionTokenDisc[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		prog := pda.MagicBlockProgramID
		tok, err := DecodeToken(prog, prog, data)
		if err != nil {
			var ae *AccountError
			if !errors.As(err, &ae) || !errors.Is(err, ErrNotSessionToken) {
				t.Fatalf("unexpected error %v", err)
			}
			_ = err.Error()
			return
		}
		// A decoded token re-encodes to the prefix it came from.
		var enc []byte
		switch tok.Version {
		case pda.V1:
			st, err := DecodeSessionToken(prog, prog, data)
			if err != nil || st.TokenAccount() != tok {
				t.Fatalf("V1 decoders disagree: %v", err)
			}
			enc, _ = st.MarshalBinary()
		case pda.V2:
			st, err := DecodeSessionTokenV2(prog, prog, data)
			if err != nil || st.TokenAccount() != tok {
				t.Fatalf("V2 decoders disagree: %v", err)
			}
			enc, _ = st.MarshalBinary()
		default:
			t.Fatalf("version %v", tok.Version)
		}
		if string(enc) != string(data[:len(enc)]) {
			t.Fatal("round trip changed the bytes")
		}
	})
}
