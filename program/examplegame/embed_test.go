package examplegame_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/internal/programtest"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

func TestELF(t *testing.T) { programtest.RequireELF(t, examplegame.ELF, programidl.ExampleGame) }

func TestProgramIDMatchesIDL(t *testing.T) {
	idl, err := programidl.ExampleGame()
	require.NoError(t, err)
	require.Equal(t, examplegame.ProgramID.String(), idl.Address)
	require.Equal(t, "example_game", idl.Name)
}
