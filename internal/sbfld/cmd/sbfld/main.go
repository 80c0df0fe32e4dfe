// Command sbfld links clang BPF objects into a Solana program (.so).
//
//	sbfld [-arch v0|v3] [-entry NAME] [-allow-syscall NAME]... -o OUT.so IN.o...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sessionkit/sessionkit/internal/sbfld"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sbfld:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sbfld", flag.ContinueOnError)
	fs.SetOutput(stderr)
	arch := fs.String("arch", "v0", "SBPF version of the output: v0 or v3")
	out := fs.String("o", "", "output file (required)")
	entry := fs.String("entry", "entrypoint", "entrypoint function")
	var extra []string
	fs.Func("allow-syscall", "also accept calls to this syscall `name` (repeatable)", func(v string) error {
		extra = append(extra, v)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sbfld [-arch v0|v3] [-entry NAME] [-allow-syscall NAME]... -o OUT.so IN.o...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("need -o OUT.so and at least one input object")
	}
	a, err := sbfld.ParseArch(*arch)
	if err != nil {
		return err
	}
	objs := make([]*sbfld.Object, 0, fs.NArg())
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		obj, err := sbfld.ReadObject(path, data)
		if err != nil {
			return err
		}
		objs = append(objs, obj)
	}
	so, err := sbfld.Link(objs, sbfld.Params{Arch: a, Entry: *entry, ExtraSyscalls: extra})
	if err != nil {
		return err
	}
	// Write then rename, so a failed link never leaves a truncated .so
	// that make would treat as up to date.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".sbfld-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(so); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}
