package program_test

import (
	"bytes"
	"debug/elf"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/program"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

func TestEmbeddedPrograms(t *testing.T) {
	tests := []struct {
		name string
		elf  func() []byte
		idl  func() (*programidl.IDL, error)
	}{
		{"gpl_session", program.SessionELF, programidl.Session},
		{"example_game", program.ExampleGameELF, programidl.ExampleGame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.elf()
			f, err := elf.NewFile(bytes.NewReader(b))
			require.NoError(t, err)
			require.Equal(t, elf.ELFCLASS64, f.Class)
			require.Equal(t, elf.ELFDATA2LSB, f.Data)
			require.Equal(t, elf.ET_DYN, f.Type)
			require.Equal(t, elf.EM_BPF, f.Machine)

			// Each call returns a copy.
			b[0] ^= 0xff
			require.Equal(t, byte(0x7f), tc.elf()[0])

			// The program logs every error of its IDL under the IDL's name and message,
			// which is what log-based error decoding reads.
			idl, err := tc.idl()
			require.NoError(t, err)
			require.NotEmpty(t, idl.Errors)
			for _, e := range idl.Errors {
				require.True(t, bytes.Contains(b, []byte(e.Name)), "error name %s", e.Name)
				require.True(t, bytes.Contains(b, []byte(e.Msg)), "error message %q", e.Msg)
			}
		})
	}
}

func TestExampleGameProgramIDMatchesIDL(t *testing.T) {
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	require.Equal(t, program.ExampleGameProgramID.String(), idl.Address)
	require.Equal(t, "example_game", idl.Name)
}
