package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionkit/sessionkit/internal/sbfld"
)

const fixtures = "../../testdata"

func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "multi.so")
	ins := []string{filepath.Join(fixtures, "multi_main.o"), filepath.Join(fixtures, "multi_lib.o")}
	for _, arch := range []string{"v0", "v3"} {
		var stderr bytes.Buffer
		if err := run(append([]string{"-arch", arch, "-o", out}, ins...), &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", arch, err, stderr.String())
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := sbfld.ParseArch(arch)
		var objs []*sbfld.Object
		for _, in := range ins {
			data, _ := os.ReadFile(in)
			obj, err := sbfld.ReadObject(in, data)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, obj)
		}
		want, err := sbfld.Link(objs, sbfld.Params{Arch: a})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: CLI output differs from sbfld.Link (%v)", arch, err)
		}
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
			t.Errorf("output mode %v, want 0644", fi.Mode().Perm())
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.so")
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no output", []string{filepath.Join(fixtures, "hello.o")}, "need -o"},
		{"no inputs", []string{"-o", out}, "need -o"},
		{"bad arch", []string{"-arch", "v2", "-o", out, filepath.Join(fixtures, "hello.o")}, `unknown arch "v2"`},
		{"missing file", []string{"-o", out, filepath.Join(dir, "nope.o")}, "no such file"},
		{"not an object", []string{"-o", out, filepath.Join(fixtures, "hello.c")}, "not a BPF relocatable object"},
		{"link error", []string{"-o", out, filepath.Join(fixtures, "alu32.o")}, "compile with -mcpu=v2"},
		{"unknown syscall", []string{"-o", out, filepath.Join(fixtures, "unknown_syscall.o")}, "-allow-syscall sol_frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(tt.args, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.msg)
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Errorf("failed run left %s behind", out)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("failed run left temporary files: %v", entries)
			}
		})
	}
}

func TestRunFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.so")
	var stderr bytes.Buffer
	args := []string{"-allow-syscall", "sol_frobnicate", "-o", out, filepath.Join(fixtures, "unknown_syscall.o")}
	if err := run(args, &stderr); err != nil {
		t.Fatalf("-allow-syscall: %v", err)
	}
	args = []string{"-entry", "helper", "-o", out, filepath.Join(fixtures, "noentry.o")}
	if err := run(args, &stderr); err != nil {
		t.Fatalf("-entry: %v", err)
	}
}
