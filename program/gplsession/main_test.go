package gplsession_test

import (
	"testing"

	"github.com/sessionkit/sessionkit/internal/programtest"
)

func TestMain(m *testing.M) { programtest.Main(m) }
