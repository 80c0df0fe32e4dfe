package gplsession_test

import (
	"testing"

	"github.com/sessionkit/sessionkit/internal/programtest"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/program/gplsession"
)

func TestELF(t *testing.T) { programtest.RequireELF(t, gplsession.ELF, programidl.Session) }
