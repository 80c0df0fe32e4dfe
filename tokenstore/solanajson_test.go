package tokenstore

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/solana-keygen.json is solana-go's testdata/standard.solana-keygen.json,
// a file written by solana-keygen, with the public key its tests expect.
const keygenPub = "F8UvVsKnzWyp2nF8aDcqvQ2GVcRpqT91WDsAtvBKCMt9"

func TestSolanaKeypairGolden(t *testing.T) {
	file := mustRead(t, "testdata/solana-keygen.json")
	k, err := ImportSolanaKeypair(file)
	require.NoError(t, err)
	assert.Equal(t, keygenPub, k.PublicKey().String())

	out, err := ExportSolanaKeypair(k)
	require.NoError(t, err)
	assert.Equal(t, string(file), string(out), "export is byte-identical to solana-keygen")

	viaSolanaGo, err := solana.PrivateKeyFromSolanaKeygenFileBytes(out)
	require.NoError(t, err)
	assert.Equal(t, k.PrivateKey(), viaSolanaGo)
}

func TestSolanaKeypairRoundTrip(t *testing.T) {
	for i := range 8 {
		_, k := testSession(t, i)
		out, err := ExportSolanaKeypair(k)
		require.NoError(t, err)
		back, err := ImportSolanaKeypair(out)
		require.NoError(t, err)
		assert.Equal(t, k.PrivateKey(), back.PrivateKey())
	}
}

func TestImportSolanaKeypairLayouts(t *testing.T) {
	file := mustRead(t, "testdata/solana-keygen.json")
	nums := strings.Split(strings.Trim(string(file), "[]"), ",")
	tests := map[string]string{
		"pretty":     "[\n  " + strings.Join(nums, ",\n  ") + "\n]\n",
		"spaces":     " [ " + strings.Join(nums, " , ") + " ] ",
		"crlf, tabs": "[\t" + strings.Join(nums, ",\r\n\t") + "]\r\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			k, err := ImportSolanaKeypair([]byte(in))
			require.NoError(t, err)
			assert.Equal(t, keygenPub, k.PublicKey().String())
		})
	}
}

func TestImportSolanaKeypairRejects(t *testing.T) {
	file := string(mustRead(t, "testdata/solana-keygen.json"))
	nums := strings.Split(strings.Trim(file, "[]"), ",")
	join := func(ns []string) string { return "[" + strings.Join(ns, ",") + "]" }
	with := func(i int, v string) string {
		ns := append([]string(nil), nums...)
		ns[i] = v
		return join(ns)
	}
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "unexpected end of input"},
		{"object", `{"key":1}`, `offset 0: want '['`},
		{"base58 string", `"66cDvko73yAf8LYvFMM3r8vF5vJtkk7JKMgEKwkmBC86oHdq41C7i1a2vS3zE1yCcdLLk6VUatUb32ZzVjSBXtRs"`, "want '['"},
		{"63 elements", join(nums[:63]), "array has 63 elements, want 64"},
		{"65 elements", join(append(nums, "1")), "more than 64 elements"},
		{"32 elements (seed only)", join(nums[:32]), "array has 32 elements"},
		{"256", with(5, "256"), "element 5: outside 0..255"},
		{"negative", with(0, "-1"), "element 0: not an integer"},
		{"fraction", with(2, "1.5"), "after element 2: offset 10: want ','"},
		{"exponent", with(2, "1e2"), "after element 2: offset 10: want ','"},
		{"leading zero", with(7, "07"), "element 7: leading zero"},
		{"long number", with(1, "00000000001"), "element 1: leading zero"},
		{"string element", with(3, `"3"`), "element 3: not an integer"},
		{"trailing comma", strings.TrimSuffix(file, "]") + ",]", "more than 64 elements"},
		{"trailing data", file + "x", "data after the array"},
		{"two arrays", file + file, "data after the array"},
		{"public key of another seed", with(40, fmt.Sprint((int(file[1])+1)%256)), "public key does not match the seed"},
		{"unterminated", strings.TrimSuffix(file, "]"), "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ImportSolanaKeypair([]byte(tt.in))
			require.ErrorIs(t, err, ErrInvalidKey)
			assert.Contains(t, err.Error(), tt.reason)
			assert.Nil(t, k)
			for _, n := range nums[:8] {
				assert.NotContains(t, err.Error(), ","+n+",", "error echoes key bytes")
			}
		})
	}
}

// FuzzImportSolanaKeypair: no input panics, and whatever imports exports
// back to the canonical form of the same key.
func FuzzImportSolanaKeypair(f *testing.F) {
	file, err := os.ReadFile("testdata/solana-keygen.json")
	require.NoError(f, err)
	f.Add(file)
	f.Add([]byte("[]"))
	f.Add([]byte("[1,2,3]"))
	f.Add([]byte(" [ 255 , 0 ] "))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ImportSolanaKeypair(data)
		if err != nil {
			return
		}
		out, err := ExportSolanaKeypair(k)
		require.NoError(t, err)
		again, err := ImportSolanaKeypair(out)
		require.NoError(t, err)
		require.Equal(t, k.PrivateKey(), again.PrivateKey())
	})
}
