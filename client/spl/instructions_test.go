package spl

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// goldenCase is one builder's expected instruction: accounts by role name with their
// flags (w writable, s signer), data in hex with {owner} for the owner key, all derived
// by hand from the SPL programs' layouts.
type goldenCase struct {
	Name     string   `json:"name"`
	Program  string   `json:"program"`
	Accounts []string `json:"accounts"`
	Data     string   `json:"data"`
}

func TestInstructionsGolden(t *testing.T) {
	keys := map[string]solana.PublicKey{
		"source": solana.PublicKeyFromBytes(fill(1)), "mint": solana.PublicKeyFromBytes(fill(2)),
		"dest": solana.PublicKeyFromBytes(fill(3)), "owner": solana.PublicKeyFromBytes(fill(4)),
		"delegate": solana.PublicKeyFromBytes(fill(5)), "payer": solana.PublicKeyFromBytes(fill(6)),
		"token": TokenProgramID, "token2022": Token2022ProgramID, "ata": AssociatedTokenProgramID,
		"system": solana.SystemProgramID,
	}
	ata, err := AssociatedTokenAddress(keys["owner"], keys["mint"], Token2022ProgramID)
	if err != nil {
		t.Fatal(err)
	}
	k := func(n string) solana.PublicKey { return keys[n] }
	must := func(ix solana.Instruction, err error) solana.Instruction {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	built := map[string]solana.Instruction{
		"TransferChecked 1000000 dec 6 (Token)":        must(TransferChecked(TokenProgramID, k("source"), k("mint"), k("dest"), k("owner"), 1_000_000, 6)),
		"TransferChecked max dec 9 (Token-2022)":       must(TransferChecked(Token2022ProgramID, k("source"), k("mint"), k("dest"), k("owner"), ^uint64(0), 9)),
		"Transfer 5":                                   must(Transfer(TokenProgramID, k("source"), k("dest"), k("owner"), 5)),
		"CloseAccount":                                 must(CloseAccount(Token2022ProgramID, k("source"), k("dest"), k("owner"))),
		"ApproveChecked 50000000 dec 6":                must(ApproveChecked(TokenProgramID, k("source"), k("mint"), k("delegate"), k("owner"), 50_000_000, 6)),
		"Revoke":                                       must(Revoke(TokenProgramID, k("source"), k("owner"))),
		"MintTo 256":                                   must(MintTo(Token2022ProgramID, k("mint"), k("dest"), k("owner"), 256)),
		"InitializeMint2 dec 6":                        must(InitializeMint2(TokenProgramID, k("mint"), k("owner"), 6)),
		"InitializeTransferFeeConfig 100 bps max 1000": InitializeTransferFeeConfig(k("mint"), k("owner"), 100, 1000),
		"HarvestWithheldTokensToMint":                  HarvestWithheldTokensToMint(k("mint"), k("source"), k("dest")),
		"CreateIdempotent":                             must(CreateIdempotent(k("payer"), k("owner"), k("mint"), Token2022ProgramID)),
	}
	raw, err := os.ReadFile("testdata/instructions.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(built) {
		t.Fatalf("%d golden cases for %d builders", len(cases), len(built))
	}
	for _, gc := range cases {
		t.Run(gc.Name, func(t *testing.T) {
			ix, ok := built[gc.Name]
			if !ok {
				t.Fatalf("no builder for golden case %q", gc.Name)
			}
			if want := keys[gc.Program]; ix.ProgramID() != want {
				t.Fatalf("program %s, want %s", ix.ProgramID(), want)
			}
			want, err := hex.DecodeString(strings.ReplaceAll(gc.Data, "{owner}", hex.EncodeToString(fill(4))))
			if err != nil {
				t.Fatal(err)
			}
			data, err := ix.Data()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(data) != hex.EncodeToString(want) {
				t.Fatalf("data %x, want %x", data, want)
			}
			metas := ix.Accounts()
			if len(metas) != len(gc.Accounts) {
				t.Fatalf("%d accounts, want %d", len(metas), len(gc.Accounts))
			}
			for i, a := range gc.Accounts {
				name, flags, _ := strings.Cut(a, " ")
				key := keys[name]
				if gc.Name == "CreateIdempotent" && name == "ata" {
					key = ata
				}
				m := metas[i]
				if m.PublicKey != key || m.IsWritable != strings.Contains(flags, "w") || m.IsSigner != strings.Contains(flags, "s") {
					t.Fatalf("account %d = %s w=%v s=%v, want %s %q", i, m.PublicKey, m.IsWritable, m.IsSigner, key, flags)
				}
			}
		})
	}
}

func TestBuildersRefuseOtherPrograms(t *testing.T) {
	a := solana.PublicKeyFromBytes(fill(9))
	for name, build := range map[string]func() (solana.Instruction, error){
		"TransferChecked": func() (solana.Instruction, error) { return TransferChecked(MemoProgramID, a, a, a, a, 1, 0) },
		"Transfer":        func() (solana.Instruction, error) { return Transfer(a, a, a, a, 1) },
		"CloseAccount":    func() (solana.Instruction, error) { return CloseAccount(a, a, a, a) },
		"ApproveChecked":  func() (solana.Instruction, error) { return ApproveChecked(a, a, a, a, a, 1, 0) },
		"Revoke":          func() (solana.Instruction, error) { return Revoke(a, a, a) },
		"MintTo":          func() (solana.Instruction, error) { return MintTo(a, a, a, a, 1) },
		"InitializeMint2": func() (solana.Instruction, error) { return InitializeMint2(a, a, a, 0) },
	} {
		if _, err := build(); !errors.Is(err, ErrNotTokenProgram) {
			t.Errorf("%s: err = %v, want ErrNotTokenProgram", name, err)
		}
	}
	if _, err := CreateIdempotent(a, a, a, a); err == nil {
		t.Error("CreateIdempotent accepted a non-token program")
	}
}

func fill(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}
