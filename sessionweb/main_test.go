package sessionweb_test

import (
	"os"
	"testing"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// One cluster for the package's tests: the session program and the example game at its
// own id, as `sessionkit web` runs them.
func TestMain(m *testing.M) {
	os.Exit(localnettest.RunMain(m, localnet.WithPrograms(
		localnettest.SessionProgram(),
		localnet.Program{ID: examplegame.ProgramID, ELF: examplegame.ELF()},
	)))
}
