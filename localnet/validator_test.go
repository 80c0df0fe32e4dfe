package localnet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/internal/syncbuf"
)

func TestValidatorPlanArgs(t *testing.T) {
	id := solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")
	auth := solana.MustPublicKeyFromBase58("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
	acct := solana.MustPublicKeyFromBase58("SysvarC1ock11111111111111111111111111111111")
	base := []string{"--ledger", "/l", "--reset", "--log", "--bind-address", "127.0.0.1",
		"--rpc-port", "8899", "--faucet-port", "9900", "--gossip-port", "8001"}
	tests := []struct {
		name string
		plan validatorPlan
		want []string
	}{
		{"bare", validatorPlan{}, base},
		{"final program", validatorPlan{Programs: []plannedProgram{{ID: id, Path: "/p.so"}}},
			append(slices.Clone(base), "--bpf-program", id.String(), "/p.so")},
		{"upgradeable program", validatorPlan{Programs: []plannedProgram{{ID: id, Path: "/p.so", Authority: &auth}}},
			append(slices.Clone(base), "--upgradeable-program", id.String(), "/p.so", auth.String())},
		{"account", validatorPlan{Accounts: []plannedAccount{{Address: acct, Path: "/a.json"}}},
			append(slices.Clone(base), "--account", acct.String(), "/a.json")},
		{"clone", validatorPlan{CloneURL: "https://api.devnet.solana.com", Clone: []solana.PublicKey{acct, id}},
			append(slices.Clone(base), "--url", "https://api.devnet.solana.com", "--clone", acct.String(), "--clone", id.String())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.plan.Ledger = "/l"
			tt.plan.RPCPort, tt.plan.FaucetPort, tt.plan.GossipPort = 8899, 9900, 8001
			if got := tt.plan.args(); !slices.Equal(got, tt.want) {
				t.Fatalf("args:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWriteAccountFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	a := Account{
		Address:  solana.MustPublicKeyFromBase58("SysvarC1ock11111111111111111111111111111111"),
		Lamports: 1_234_567,
		Owner:    solana.TokenProgramID,
		Data:     []byte{1, 2, 3, 250},
	}
	if err := writeAccountFile(path, a); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"pubkey":"SysvarC1ock11111111111111111111111111111111","account":{"lamports":1234567,` +
		`"data":["AQID+g==","base64"],"owner":"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",` +
		`"executable":false,"rentEpoch":0,"space":4}}`
	if string(b) != want {
		t.Fatalf("account file:\n got %s\nwant %s", b, want)
	}
}

// fakeValidatorOnPath writes a solana-test-validator script that re-runs
// this test binary as fakeValidator, and returns its directory and the
// directory where the fake records what it saw.
func fakeValidatorOnPath(t *testing.T, mode string) (binDir, recordDir string) {
	t.Helper()
	binDir, recordDir = t.TempDir(), t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n%s=fake-validator FAKE_DIR=%q FAKE_MODE=%q exec %q \"$@\"\n", roleEnv, recordDir, mode, exe)
	if err := os.WriteFile(filepath.Join(binDir, "solana-test-validator"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binDir, recordDir
}

func TestTestValidatorLifecycle(t *testing.T) {
	binDir, rec := fakeValidatorOnPath(t, "ok")
	t.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(EnvBackend, string(TestValidator))

	progID := solana.NewWallet().PublicKey()
	upgID := solana.NewWallet().PublicKey()
	auth := solana.NewWallet().PublicKey()
	acct := Account{Address: solana.NewWallet().PublicKey(), Lamports: 42, Owner: progID, Data: []byte("state")}
	funded := solana.NewWallet().PublicKey()
	var log syncbuf.Buffer
	ctx := context.Background()
	n, err := Start(ctx,
		WithPrograms(Program{ID: progID, ELF: []byte("\x7fELF-final")}),
		WithPrograms(Program{ID: upgID, ELF: []byte("\x7fELF-upgradeable"), UpgradeAuthority: &auth}),
		WithAccounts(acct),
		WithFunded(funded, 7_000_000),
		WithLog(&log),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n.Backend() != TestValidator {
		t.Fatalf("backend = %q", n.Backend())
	}
	if h, err := n.RPC().GetHealth(ctx); err != nil || h != "ok" {
		t.Fatalf("getHealth = %q, %v", h, err)
	}
	if err := n.WarpTime(ctx, time.Now()); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("WarpTime on test-validator: err = %v, want ErrUnsupported", err)
	}

	b, err := os.ReadFile(filepath.Join(rec, "argv.json"))
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	if err := json.Unmarshal(b, &argv); err != nil {
		t.Fatal(err)
	}
	flag := func(name string, values int) [][]string {
		var out [][]string
		for i, a := range argv {
			if a == name && i+values < len(argv) {
				out = append(out, argv[i+1:i+1+values])
			}
		}
		return out
	}
	rpcURL, _ := url.Parse(n.RPCURL())
	wsURL, _ := url.Parse(n.WSURL())
	if got := flag("--rpc-port", 1); len(got) != 1 || got[0][0] != rpcURL.Port() {
		t.Fatalf("--rpc-port %v, RPC URL %s", got, n.RPCURL())
	}
	if wsURL.Port() == rpcURL.Port() || wsURL.Hostname() != "127.0.0.1" {
		t.Fatalf("WS URL %s for RPC URL %s", n.WSURL(), n.RPCURL())
	}
	if got := flag("--bind-address", 1); len(got) != 1 || got[0][0] != "127.0.0.1" {
		t.Fatalf("--bind-address %v", got)
	}
	if !slices.Contains(argv, "--reset") {
		t.Fatalf("no --reset in %q", argv)
	}
	ledger := flag("--ledger", 1)
	if len(ledger) != 1 || !strings.HasPrefix(ledger[0][0], n.tmpDir+string(os.PathSeparator)) {
		t.Fatalf("--ledger %v not inside %s", ledger, n.tmpDir)
	}
	bpf := flag("--bpf-program", 2)
	if len(bpf) != 1 || bpf[0][0] != progID.String() {
		t.Fatalf("--bpf-program %v", bpf)
	}
	if elf, err := os.ReadFile(bpf[0][1]); err != nil || string(elf) != "\x7fELF-final" {
		t.Fatalf("--bpf-program file: %q, %v", elf, err)
	}
	upg := flag("--upgradeable-program", 3)
	if len(upg) != 1 || upg[0][0] != upgID.String() || upg[0][2] != auth.String() {
		t.Fatalf("--upgradeable-program %v", upg)
	}
	accounts := map[string]accountFile{}
	for _, a := range flag("--account", 2) {
		b, err := os.ReadFile(a[1])
		if err != nil {
			t.Fatal(err)
		}
		var f accountFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if f.Pubkey != a[0] {
			t.Fatalf("--account %s file holds %s", a[0], f.Pubkey)
		}
		accounts[a[0]] = f
	}
	// acct, funded and the Net's own funding account.
	if len(accounts) != 3 {
		t.Fatalf("%d --account flags, want 3: %v", len(accounts), accounts)
	}
	if f := accounts[acct.Address.String()].Account; f.Lamports != 42 || f.Owner != progID.String() || f.Data[0] != base64.StdEncoding.EncodeToString([]byte("state")) {
		t.Fatalf("account file for acct: %+v", f)
	}
	if f := accounts[funded.String()].Account; f.Lamports != 7_000_000 || f.Owner != solana.SystemProgramID.String() {
		t.Fatalf("account file for funded key: %+v", f)
	}
	if f := accounts[n.faucet.PublicKey().String()].Account; f.Lamports != faucetLamports {
		t.Fatalf("funding account file: %+v", f)
	}

	var pid, sleeper int
	b, err = os.ReadFile(filepath.Join(rec, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &sleeper); err != nil {
		t.Fatal(err)
	}
	if pid != n.Info().PID || !processAlive(pid) || !processAlive(sleeper) {
		t.Fatalf("validator pid %d (Info %d, alive %v), grandchild %d alive %v", pid, n.Info().PID, processAlive(pid), sleeper, processAlive(sleeper))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitGone(t, pid, 5*time.Second)
	waitGone(t, sleeper, 5*time.Second)
	assertNoPath(t, n.tmpDir)
	if !strings.Contains(log.String(), "fake validator: starting") {
		t.Fatalf("WithLog got %q", log.String())
	}
}

func TestTestValidatorStartFailures(t *testing.T) {
	tests := []struct {
		mode    string
		timeout time.Duration
		check   func(t *testing.T, err error)
	}{
		{"exit", 0, func(t *testing.T, err error) {
			var se *StartError
			if !errors.As(err, &se) || se.Backend != TestValidator || !strings.Contains(se.Output, "bad genesis") {
				t.Fatalf("err = %v, want a StartError with the validator's output", err)
			}
		}},
		{"hang", 700 * time.Millisecond, func(t *testing.T, err error) {
			if !errors.Is(err, ErrStartTimeout) {
				t.Fatalf("err = %v, want ErrStartTimeout", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			binDir, rec := fakeValidatorOnPath(t, tt.mode)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			_, err := Start(context.Background(),
				WithBackend(TestValidator),
				WithValidatorPath(filepath.Join(binDir, "solana-test-validator")),
				WithStartTimeout(tt.timeout),
			)
			tt.check(t, err)
			if b, rerr := os.ReadFile(filepath.Join(rec, "pids")); rerr == nil {
				var pid, sleeper int
				if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &sleeper); err != nil {
					t.Fatal(err)
				}
				waitGone(t, pid, 5*time.Second)
				waitGone(t, sleeper, 5*time.Second)
			}
			assertEmptyDir(t, tmp)
		})
	}
}

func TestBackendSelection(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name    string
		env     string
		opts    []Option
		wantErr error
	}{
		{"env selects test-validator, none on PATH", "test-validator", nil, ErrValidatorMissing},
		{"option wins over env", "embedded", []Option{WithBackend(TestValidator)}, ErrValidatorMissing},
		{"unknown env value", "docker", nil, &ConfigError{}},
		{"env off", "off", nil, ErrDisabled},
		{"clone needs test-validator", "", []Option{WithBackend(Embedded), WithClone("http://x", solana.PublicKey{1})}, ErrUnsupported},
		{"clone without URL", "", []Option{WithBackend(TestValidator), WithClone("", solana.PublicKey{1})}, &ConfigError{}},
		{"program without ELF", "", []Option{WithPrograms(Program{ID: solana.PublicKey{1}})}, &ConfigError{}},
		{"program that is not an ELF", "", []Option{WithPrograms(Program{ID: solana.PublicKey{1}, ELF: []byte("#!/bin/sh")})}, &ConfigError{}},
		{"address given twice", "", []Option{
			WithPrograms(Program{ID: solana.PublicKey{1}, ELF: []byte("\x7fELF")}),
			WithFunded(solana.PublicKey{1}, 5),
		}, &ConfigError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", empty)
			t.Setenv(EnvBackend, tt.env)
			_, err := Start(context.Background(), tt.opts...)
			if ce, ok := tt.wantErr.(*ConfigError); ok {
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a ConfigError", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
