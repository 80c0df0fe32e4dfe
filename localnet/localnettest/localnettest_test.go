package localnettest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sessionkit/sessionkit/localnet"
)

// recordingTB captures how failStart ends a test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stopTest struct{}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	panic(stopTest{})
}
func (r *recordingTB) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	panic(stopTest{})
}

func TestFailStartSkipRule(t *testing.T) {
	startErr := &localnet.StartError{Backend: localnet.Embedded, Err: errors.New("boom"), Output: "launcher: boom"}
	tests := []struct {
		name     string
		ci       string
		err      error
		wantSkip bool
	}{
		{"no node, local run: skip", "", localnet.ErrNodeMissing, true},
		{"no node, CI: fail", "true", localnet.ErrNodeMissing, false},
		{"disabled, local run: skip", "", localnet.ErrDisabled, true},
		{"disabled, CI: fail", "true", localnet.ErrDisabled, false},
		{"start failure, local run: fail", "", startErr, false},
		{"start failure, CI: fail", "true", startErr, false},
		{"validator missing, local run: fail", "", localnet.ErrValidatorMissing, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recordingTB{}
			func() {
				defer func() {
					if p := recover(); p != nil {
						if _, ok := p.(stopTest); !ok {
							panic(p)
						}
					}
				}()
				failStart(r, tt.err)
			}()
			if r.skipped != tt.wantSkip || r.failed == tt.wantSkip {
				t.Fatalf("skipped=%v failed=%v, want skip=%v", r.skipped, r.failed, tt.wantSkip)
			}
			if !strings.Contains(r.msg, tt.err.Error()) {
				t.Fatalf("message %q does not carry the error %q", r.msg, tt.err)
			}
		})
	}
}
