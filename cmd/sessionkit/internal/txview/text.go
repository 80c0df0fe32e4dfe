package txview

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/output"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

// WriteText renders v for people: a summary, the signatures, the account keys, then
// each instruction with its arguments and named accounts.
func (v *View) WriteText(w io.Writer) error {
	f := output.NewFields(w)
	f.Add(titleCase(v.Kind), v.summary())
	f.Add("Fee Payer", v.FeePayer)
	f.Add("Recent Blockhash", v.RecentBlockhash)
	if err := f.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	t := output.NewTable(w, "SIGNER", "STATUS", "SIGNATURE")
	for _, s := range v.Signatures {
		sig := s.Signature
		if sig == "" {
			sig = "-"
		}
		t.Row(s.Signer, s.Status, sig)
	}
	if err := t.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	t = output.NewTable(w, "#", "ACCOUNT", "FLAGS")
	for _, k := range v.AccountKeys {
		t.Row(strconv.Itoa(k.Index), k.address(), k.flags())
	}
	if err := t.Flush(); err != nil {
		return err
	}

	for _, ix := range v.Instructions {
		fmt.Fprintln(w)
		if err := ix.writeText(w); err != nil {
			return err
		}
	}
	if len(v.Instructions) == 0 {
		fmt.Fprintln(w, "\nNo instructions.")
	}
	return nil
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (v *View) summary() string {
	version := "legacy message"
	if v.Version != "legacy" {
		version = "v" + v.Version + " message"
	}
	parts := []string{version}
	if v.Kind == "transaction" {
		empty := 0
		for _, s := range v.Signatures {
			if s.Status == SigEmpty {
				empty++
			}
		}
		sigs := plural(len(v.Signatures), "signature")
		if empty > 0 {
			sigs += fmt.Sprintf(" (%d empty)", empty)
		}
		parts = append(parts, sigs)
	} else {
		parts = append(parts, plural(len(v.Signatures), "required signer")+", no signatures")
	}
	size := plural(v.Size, "byte")
	if v.Kind == "transaction" && v.Size > PacketSize {
		size += fmt.Sprintf(", over the %d-byte packet limit", PacketSize)
	}
	parts = append(parts, size)
	if v.Encoding != "" {
		parts = append(parts, string(v.Encoding))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// address is the key, or for an entry a lookup table loads, where it comes from.
func (k *Key) address() string {
	switch {
	case k.LookupTable != "" && k.Pubkey != "":
		return fmt.Sprintf("%s (lookup table %s, entry %d)", k.Pubkey, k.LookupTable, *k.LookupIndex)
	case k.LookupTable != "":
		return fmt.Sprintf("lookup table %s, entry %d", k.LookupTable, *k.LookupIndex)
	}
	return k.Pubkey
}

func (k *Key) flags() string {
	var fs []string
	if k.Index == 0 && k.Signer {
		fs = append(fs, "fee payer")
	}
	if k.Signer {
		fs = append(fs, "signer")
	}
	if k.Writable {
		fs = append(fs, "writable")
	}
	if len(fs) == 0 {
		return "read-only"
	}
	return strings.Join(fs, ", ")
}

func (ix *Instruction) writeText(w io.Writer) error {
	title := ix.Program
	switch {
	case title == "":
		title = "unknown program"
	case ix.Name != "":
		title += " " + ix.Name
	}
	fmt.Fprintf(w, "Instruction %d: %s\n", ix.Index, title)
	f := output.NewFields(w)
	f.Add("  Program", ix.ProgramID)
	f.Add("  Data", fmt.Sprintf("%s (%s)", ix.Data, plural(len(ix.Data)/2, "byte")))
	if ix.Text != "" {
		f.Add("  Text", strconv.Quote(ix.Text))
	}
	if ix.DecodeError != "" {
		label := "  Not Decoded"
		if ix.Args != nil {
			label = "  Note"
		}
		f.Add(label, ix.DecodeError)
	}
	if err := f.Flush(); err != nil {
		return err
	}
	if ix.Args != nil && len(*ix.Args) > 0 {
		t := output.NewTable(w, "  ARGUMENT", "TYPE", "VALUE")
		for _, a := range *ix.Args {
			t.Row("  "+a.Name, a.Type.String(), programidl.FormatValue(a.Value))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(ix.Accounts) == 0 {
		return nil
	}
	t := output.NewTable(w, "  ACCOUNT", "#", "KEY", "FLAGS")
	for j, a := range ix.Accounts {
		name := a.Name
		switch {
		case name == "" && ix.Args != nil:
			name = "(remaining)"
		case name == "":
			name = "account " + strconv.Itoa(j)
		case a.Absent:
			name += " (absent)"
		}
		t.Row("  "+name, strconv.Itoa(a.Index), a.address(), a.flags())
	}
	return t.Flush()
}
