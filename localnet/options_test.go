package localnet

import (
	"reflect"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// Tests and the CLI build their options piecewise (a shared base plus extras), so
// list options must add to earlier ones rather than replace them.
func TestOptionsAccumulate(t *testing.T) {
	p1 := Program{ID: solana.PublicKey{1}, ELF: []byte("\x7fELF")}
	p2 := Program{ID: solana.PublicKey{2}, ELF: []byte("\x7fELF")}
	a1, a2 := Account{Address: solana.PublicKey{3}}, Account{Address: solana.PublicKey{4}}
	f1, f2 := solana.PublicKey{5}, solana.PublicKey{6}
	c1, c2 := solana.PublicKey{7}, solana.PublicKey{8}
	var cfg config
	for _, o := range []Option{
		WithPrograms(p1), WithPrograms(p2),
		WithAccounts(a1), WithAccounts(a2),
		WithFunded(f1, 1), WithFunded(f2, 2), WithFunded(f1, 3),
		WithClone("http://a", c1), WithClone("http://b", c2),
	} {
		o(&cfg)
	}
	want := config{
		programs: []Program{p1, p2},
		accounts: []Account{a1, a2},
		funded:   map[solana.PublicKey]uint64{f1: 3, f2: 2},
		cloneURL: "http://b",
		clone:    []solana.PublicKey{c1, c2},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config = %+v, want %+v", cfg, want)
	}
}

// Scalar options replace: the last one given wins.
func TestOptionsReplace(t *testing.T) {
	var cfg config
	for _, o := range []Option{WithCacheDir("/a"), WithCacheDir("/b"), WithValidatorPath("/v"), WithBackend(TestValidator)} {
		o(&cfg)
	}
	if cfg.cacheDir != "/b" || cfg.validatorPath != "/v" || cfg.backend != TestValidator {
		t.Fatalf("config = %+v", cfg)
	}
}
