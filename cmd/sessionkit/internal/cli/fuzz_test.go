package cli

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// isUsage reports whether err is the usage error (exit code 2) that bad flags get.
func isUsage(err error) bool {
	var e *exitError
	return errors.As(err, &e) && e.code == ExitUsage
}

// validityOf is an independent reading of --valid-for: a Go duration, or a whole number
// of days multiplied out in big integers; ok is false when the value is not in (0, 7 days].
func validityOf(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, d > 0 && d <= client.MaxValidity
	}
	days, found := strings.CutSuffix(s, "d")
	n, err := strconv.Atoi(days)
	if !found || err != nil {
		return 0, false
	}
	d := new(big.Int).Mul(big.NewInt(int64(n)), big.NewInt(int64(24*time.Hour)))
	if d.Sign() <= 0 || d.Cmp(big.NewInt(int64(client.MaxValidity))) > 0 {
		return 0, false
	}
	return time.Duration(d.Int64()), true
}

func FuzzParseValidity(f *testing.F) {
	for _, s := range []string{"1h", "90m", "24h", "7d", "8d", "0d", "-1d", "+2d", "d", "1.5d", "168h", "168h0m1s",
		"0", "-5m", "soon", "9223372036854775807d", "106752d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseValidity(s)
		want, ok := validityOf(s)
		switch {
		case ok && (err != nil || got != want):
			t.Fatalf("%q = %v, %v; want %v", s, got, err, want)
		case !ok && err == nil:
			t.Fatalf("%q accepted as %v", s, got)
		case err != nil && !isUsage(err):
			t.Fatalf("%q: %v is not a usage error", s, err)
		}
	})
}

func FuzzParseProgramID(f *testing.F) {
	for _, s := range []string{"magicblock", "MagicBlock", "", "gum", "GUM", pda.MagicBlockProgramID.String(),
		pda.GumProgramID.String(), "KeyspM2ss", "1111111111111111111111111111111111", "0OIl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseProgramID(s)
		switch strings.ToLower(s) {
		case "magicblock", "":
			if err != nil || got != pda.MagicBlockProgramID {
				t.Fatalf("%q = %s, %v", s, got, err)
			}
			return
		case "gum":
			if err != nil || got != pda.GumProgramID {
				t.Fatalf("%q = %s, %v", s, got, err)
			}
			return
		}
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		// One address, one spelling: what is accepted is the canonical base58 form.
		if got.String() != s {
			t.Fatalf("%q accepted as %s", s, got)
		}
	})
}

// FuzzLocalnetFlags runs `localnet up`'s --program ID=PATH.so and --fund ADDRESS=SOL
// parsing. Only game.so in an otherwise empty directory is readable: specs with an
// absolute path or .. are not tried.
func FuzzLocalnetFlags(f *testing.F) {
	f.Chdir(f.TempDir())
	elf := []byte("\x7fELF sessionkit fuzz")
	if err := os.WriteFile("game.so", elf, 0o600); err != nil {
		f.Fatal(err)
	}
	extra := solana.MustPublicKeyFromBase58("Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS")
	funded := solana.MustPublicKeyFromBase58("7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2")
	f.Add(extra.String()+"=game.so", funded.String()+"=10")
	f.Add(examplegame.ProgramID.String()+"=./game.so", funded.String()+"=0.000000001")
	f.Add(pda.MagicBlockProgramID.String()+"=game.so", funded.String()+"=.5")
	f.Add(extra.String()+"=missing.so", funded.String()+"=-1")
	f.Add(extra.String(), funded.String())
	f.Add("=game.so", "=1")
	f.Add(extra.String()+"=.", "1"+funded.String()+"=1")
	a := &app{env: &env{programID: pda.MagicBlockProgramID}}
	f.Fuzz(func(t *testing.T, programSpec, fundSpec string) {
		cfg, _, err := a.localnetConfig(nil, []string{fundSpec})
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("--fund %q: %v is not a usage error", fundSpec, err)
			}
		} else {
			addr, amount, _ := strings.Cut(fundSpec, "=")
			if len(cfg.funded) != 1 {
				t.Fatalf("--fund %q funds %v", fundSpec, cfg.funded)
			}
			for pk, lamports := range cfg.funded {
				if pk.String() != addr {
					t.Fatalf("--fund %q funds %s", fundSpec, pk)
				}
				// The canonical spelling of what was read means the same.
				canon := pk.String() + "=" + output.SOLAmount(lamports)
				again, _, err := a.localnetConfig(nil, []string{canon})
				if err != nil || again.funded[pk] != lamports {
					t.Fatalf("--fund %q read as %q, which reads as %v, %v", fundSpec, canon, again.funded, err)
				}
				if want, err := output.ParseSOL(amount); err != nil || want != lamports {
					t.Fatalf("--fund %q gives %d lamports, want %d (%v)", fundSpec, lamports, want, err)
				}
			}
		}

		id, path, _ := strings.Cut(programSpec, "=")
		if filepath.IsAbs(path) || strings.Contains(path, "..") {
			return
		}
		cfg, loaded, err := a.localnetConfig([]string{programSpec}, nil)
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("--program %q: %v is not a usage error", programSpec, err)
			}
			return
		}
		pk, perr := solana.PublicKeyFromBase58(id)
		if perr != nil || pk.String() != id {
			t.Fatalf("--program %q accepted with id %q", programSpec, id)
		}
		// The session program and the example game are always loaded; an id of either
		// replaces its ELF instead of adding a program.
		want := 3
		if pk == pda.MagicBlockProgramID || pk == examplegame.ProgramID {
			want = 2
		}
		if len(cfg.programs) != want || len(loaded) != want {
			t.Fatalf("--program %q loads %d programs (%d named), want %d", programSpec, len(cfg.programs), len(loaded), want)
		}
		for i, p := range cfg.programs {
			if loaded[i].ID != p.ID.String() {
				t.Fatalf("program %d is %s, named as %s", i, p.ID, loaded[i].ID)
			}
			if p.ID == pk && (string(p.ELF) != string(elf) || loaded[i].Name != path) {
				t.Fatalf("--program %q loads %d bytes named %q", programSpec, len(p.ELF), loaded[i].Name)
			}
		}
	})
}

// FuzzParseTokenGrant: --token is MINT:AMOUNT[:top-up|delegate]; anything else is a
// usage error, and what is accepted says exactly what was written.
func FuzzParseTokenGrant(f *testing.F) {
	mint := examplegame.ProgramID.String()
	for _, s := range []string{mint + ":1", mint + ":50000000:delegate", mint + ":5:top-up", mint + ":0", mint + ":-1",
		mint + ":1:x", mint + "::", ":1", mint + ":18446744073709551616", "a:b:c:d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := parseTokenGrant(s)
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		parts := strings.Split(s, ":")
		mint, merr := solana.PublicKeyFromBase58(parts[0])
		amount, aerr := strconv.ParseUint(parts[1], 10, 64)
		if g.Amount == 0 || merr != nil || aerr != nil || g.Mint != mint || g.Amount != amount {
			t.Fatalf("%q read as %+v", s, g)
		}
		if (len(parts) == 3 && parts[2] == "delegate") != (g.Mode == session.TokenDelegate) {
			t.Fatalf("%q read as mode %s", s, g.Mode)
		}
	})
}
