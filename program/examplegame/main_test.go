package examplegame_test

import (
	"testing"

	"github.com/sessionkit/sessionkit/internal/programtest"
)

// The game's session paths need the session program and its fixture tokens.
func TestMain(m *testing.M) { programtest.Main(m) }
