package secrets_test

import (
	"encoding/json"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/sessionkit/sessionkit"

// listed is the part of `go list -json` the walker reads.
type listed struct {
	ImportPath string
	Export     string
	Module     *struct{ Path string }
}

// modulePackages type-checks every package of the module from the compiler's export
// data, which records unexported fields too (fmt prints those by reflection).
func modulePackages(t *testing.T) []*types.Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Export,Module", module+"/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	var ours []string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == module {
			ours = append(ours, p.ImportPath)
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	var pkgs []*types.Package
	for _, path := range ours {
		pkg, err := imp.Import(path)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs
}

// rawKeyTypes print their secret: each has a String method or none, and no redaction.
var rawKeyTypes = map[string]bool{
	"github.com/gagliardetto/solana-go.PrivateKey":                          true,
	"crypto/ed25519.PrivateKey":                                             true,
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519.PrivateKey": true,
}

// redactingKeyTypes hold a secret and print only a public part or "[redacted]".
var redactingKeyTypes = map[string]bool{
	module + "/client/txn.SessionKey": true,
	module + "/client/session.Seed":   true,
}

// secretFieldName marks byte fields that are key material by name (a seed as []byte).
var secretFieldName = regexp.MustCompile(`(?i)seed|secret|priv`)

// found is an exported type of the module that holds key material.
type found struct {
	name string // package path "." type name
	raw  []string
}

// keyHolders returns every exported type of the module that can hold key material,
// with the paths to fields whose type prints the secret.
func keyHolders(pkgs []*types.Package) []found {
	var out []found
	for _, pkg := range pkgs {
		for _, name := range pkg.Scope().Names() {
			tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
			if !ok || !tn.Exported() || tn.IsAlias() {
				continue
			}
			w := walker{seen: map[types.Type]bool{}}
			w.walk(tn.Type(), name, true)
			if w.holds {
				out = append(out, found{name: qualified(tn), raw: w.raw})
			}
		}
	}
	return out
}

// qualified names a type as "path.Name"; universe types (error) have no package.
func qualified(tn *types.TypeName) string {
	if tn.Pkg() == nil {
		return tn.Name()
	}
	return tn.Pkg().Path() + "." + tn.Name()
}

type walker struct {
	seen  map[types.Type]bool
	holds bool
	raw   []string
}

// walk descends through fields, unexported ones too, and element types; it does not
// enter types of other modules (beyond recognising key types) nor interfaces and funcs,
// whose contents are unknown statically.
func (w *walker) walk(t types.Type, path string, root bool) {
	if w.seen[t] {
		return
	}
	w.seen[t] = true
	if n, ok := t.(*types.Named); ok {
		name := qualified(n.Obj())
		switch {
		case rawKeyTypes[name]:
			w.holds = true
			w.raw = append(w.raw, path+" "+name)
			return
		case redactingKeyTypes[name]:
			w.holds = true
			if !root {
				return
			}
		case !root && !strings.HasPrefix(name, module+"/"):
			return
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		w.walk(u.Elem(), path, false)
	case *types.Slice:
		w.walk(u.Elem(), path+"[]", false)
	case *types.Array:
		w.walk(u.Elem(), path+"[]", false)
	case *types.Map:
		w.walk(u.Key(), path+"{key}", false)
		w.walk(u.Elem(), path+"{}", false)
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			fp := path + "." + f.Name()
			if isBytes(f.Type()) && secretFieldName.MatchString(f.Name()) {
				w.holds = true
				w.raw = append(w.raw, fp+" "+f.Type().String())
				continue
			}
			w.walk(f.Type(), fp, false)
		}
	}
}

// isBytes reports an unnamed []byte or [N]byte, which fmt prints as numbers.
func isBytes(t types.Type) bool {
	var elem types.Type
	switch u := t.(type) {
	case *types.Slice:
		elem = u.Elem()
	case *types.Array:
		elem = u.Elem()
	default:
		return false
	}
	b, ok := elem.(*types.Basic)
	return ok && b.Kind() == types.Byte
}

// TestNoRawKeyField fails for a field of a raw key type anywhere in an exported type:
// fmt prints unexported fields too, so those count as well.
func TestNoRawKeyField(t *testing.T) {
	for _, f := range keyHolders(modulePackages(t)) {
		for _, r := range f.raw {
			t.Errorf("%s holds key material in a field that prints it: %s; use *txn.SessionKey", f.name, r)
		}
	}
}
