package secrets_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/internal/programtest"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/deploy"
	"github.com/sessionkit/sessionkit/sessionweb"
)

// holders maps each type keyHolders finds to its reflect.Type, which go/types cannot
// give; TestHoldersPrintNoSecret fails when the two disagree, so the map cannot rot.
var holders = map[string]reflect.Type{
	"client/txn.SessionKey":            reflect.TypeFor[txn.SessionKey](),
	"client/session.CreateParams":      reflect.TypeFor[session.CreateParams](),
	"client/session.Pending":           reflect.TypeFor[session.Pending](),
	"client/session.Pool":              reflect.TypeFor[session.Pool](),
	"client/session.RenewParams":       reflect.TypeFor[session.RenewParams](),
	"client/session.RevokeParams":      reflect.TypeFor[session.RevokeParams](),
	"client/session.RevokeAllParams":   reflect.TypeFor[session.RevokeAllParams](),
	"client/session.RevokeAllResult":   reflect.TypeFor[session.RevokeAllResult](),
	"client/session.MoveParams":        reflect.TypeFor[session.MoveParams](),
	"client/session.Seed":              reflect.TypeFor[session.Seed](),
	"client/session.Session":           reflect.TypeFor[session.Session](),
	"client/session.Snapshot":          reflect.TypeFor[session.Snapshot](),
	"localnet.Net":                     reflect.TypeFor[localnet.Net](),
	"localnet/deploy.Params":           reflect.TypeFor[deploy.Params](),
	"internal/programtest.Env":         reflect.TypeFor[programtest.Env](),
	"client/session.LookupTableParams": reflect.TypeFor[session.LookupTableParams](),
	"client/session.Nonce":             reflect.TypeFor[session.Nonce](),
	"client/session.NoncePool":         reflect.TypeFor[session.NoncePool](),
	"sessionweb.Server":                reflect.TypeFor[sessionweb.Server](),
}

// secret is a fixed key whose bytes are unlikely to occur by chance.
type secret struct {
	key  *txn.SessionKey
	seed session.Seed
	// encodings are the forms a printer or encoder could give the 64-byte key or its seed.
	encodings map[string]string
}

func newSecret(t *testing.T) *secret {
	t.Helper()
	seed := sha256.Sum256([]byte("sessionkit internal/secrets"))
	key, err := txn.NewSessionKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	priv := key.PrivateKey()
	s := &secret{key: key, seed: session.Seed(seed), encodings: map[string]string{}}
	for name, b := range map[string][]byte{"key": priv, "seed": seed[:]} {
		b58 := solana.PrivateKey(b).String()
		s.encodings[name+" base58"] = b58
		s.encodings[name+" base58 as %x"] = hex.EncodeToString([]byte(b58))
		s.encodings[name+" base64"] = base64.StdEncoding.EncodeToString(b)
		s.encodings[name+" base64url"] = base64.RawURLEncoding.EncodeToString(b)
		s.encodings[name+" hex"] = hex.EncodeToString(b)
		s.encodings[name+" HEX"] = strings.ToUpper(hex.EncodeToString(b))
		list := fmt.Sprint(b)
		s.encodings[name+" %v bytes"] = list[1 : len(list)-1]
		s.encodings[name+" JSON numbers"] = strings.ReplaceAll(list[1:len(list)-1], " ", ",")
		goList := fmt.Sprintf("%#v", b)
		s.encodings[name+" %#v bytes"] = goList[strings.Index(goList, "{")+1 : len(goList)-1]
	}
	return s
}

// leaks names the encodings of the secret found in out.
func (s *secret) leaks(out string) []string {
	var found []string
	for name, enc := range s.encodings {
		if strings.Contains(out, enc) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	return found
}

var (
	keyPtrType = reflect.TypeFor[*txn.SessionKey]()
	keyType    = reflect.TypeFor[txn.SessionKey]()
	seedType   = reflect.TypeFor[session.Seed]()
)

// fill puts the secret into every key and seed reachable from v, unexported fields
// too, and returns how many it set. It allocates only pointers to the module's own
// types: others hold no key, and fmt shows nested pointers as addresses anyway.
func (s *secret) fill(v reflect.Value, depth int) int {
	if !v.CanSet() {
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	switch v.Type() {
	case keyPtrType:
		v.Set(reflect.ValueOf(s.key))
		return 1
	case keyType:
		v.Set(reflect.ValueOf(s.key).Elem())
		return 1
	case seedType:
		v.Set(reflect.ValueOf(s.seed))
		return 1
	}
	if depth > 6 {
		return 0 // a recursive type; one level of it shows what it prints
	}
	n := 0
	switch v.Kind() {
	case reflect.Pointer:
		if !strings.HasPrefix(v.Type().Elem().PkgPath(), module+"/") {
			return 0
		}
		p := reflect.New(v.Type().Elem())
		if n = s.fill(p.Elem(), depth+1); n > 0 {
			v.Set(p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			n += s.fill(v.Field(i), depth+1)
		}
	case reflect.Slice:
		e := reflect.MakeSlice(v.Type(), 1, 1)
		if n = s.fill(e.Index(0), depth+1); n > 0 {
			v.Set(e)
		}
	case reflect.Array:
		for i := range v.Len() {
			n += s.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		e := reflect.New(v.Type().Elem()).Elem()
		if n = s.fill(e, depth+1); n > 0 {
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.Zero(v.Type().Key()), e)
			v.Set(m)
		}
	}
	return n
}

// outputs is what every printer and encoder under test makes of v.
func outputs(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	b, err := json.Marshal(v)
	out["encoding/json"] = string(b) + fmt.Sprint(err)
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	out["slog text"], out["slog JSON"] = text.String(), js.String()
	return out
}

func TestHoldersPrintNoSecret(t *testing.T) {
	var found []string
	for _, f := range keyHolders(modulePackages(t)) {
		found = append(found, strings.TrimPrefix(f.name, module+"/"))
	}
	for _, name := range found {
		if _, ok := holders[name]; !ok {
			t.Errorf("%s can hold a key: add it to holders", name)
		}
	}
	for name := range holders {
		if !slices.Contains(found, name) {
			t.Errorf("holders lists %s, which holds no key (any more): remove it", name)
		}
	}

	s := newSecret(t)
	for name, typ := range holders {
		t.Run(name, func(t *testing.T) {
			p := reflect.New(typ)
			if s.fill(p.Elem(), 0) == 0 {
				t.Fatal("fill found no key field to set")
			}
			for form, v := range map[string]any{"value": p.Elem().Interface(), "pointer": p.Interface()} {
				for printer, out := range outputs(v) {
					if l := s.leaks(out); len(l) > 0 {
						t.Errorf("%s of the %s shows the secret (%s): %s", printer, form, strings.Join(l, ", "), out)
					}
				}
			}
		})
	}
}

// TestLeakDetected keeps the check honest: a raw key in a field must be caught.
func TestLeakDetected(t *testing.T) {
	s := newSecret(t)
	raw := struct{ Key solana.PrivateKey }{s.key.PrivateKey()}
	for printer, out := range outputs(raw) {
		if len(s.leaks(out)) == 0 {
			t.Errorf("%s printed a raw key undetected: %s", printer, out)
		}
	}
}
