package localnet

import (
	"errors"
	"fmt"
	"os"
)

var (
	// ErrNodeMissing means node or npm, which run the embedded runtime, are not on PATH.
	ErrNodeMissing = errors.New("localnet: the embedded runtime needs Node.js 18 or newer with npm on PATH " +
		"(Debian/Ubuntu: apt-get install nodejs npm; others: https://nodejs.org), " +
		"or set " + EnvBackend + "=test-validator to use an installed solana-test-validator")
	// ErrValidatorMissing means the test-validator backend was chosen but its executable is not on PATH.
	ErrValidatorMissing = errors.New("localnet: solana-test-validator not found on PATH " +
		"(install the Solana/Agave CLI, or unset " + EnvBackend + " to use the embedded runtime)")
	// ErrDisabled means the backend is Off, e.g. SESSIONKIT_LOCALNET=off.
	ErrDisabled = errors.New("localnet: disabled by " + EnvBackend + "=off")
	// ErrUnsupported means the backend cannot do what was asked.
	ErrUnsupported = errors.New("localnet: not supported")
	// ErrStartTimeout means the runtime did not become ready within the WithStartTimeout bound.
	ErrStartTimeout = errors.New("localnet: runtime not ready before the start timeout")
)

// Skippable reports whether a test whose cluster could not start with err may
// skip instead of failing: only when no runtime can run here at all (Node.js
// missing, or the backend Off) and the CI variable is unset, so that unit
// tests run anywhere while CI never passes without its integration tests.
func Skippable(err error) bool {
	return (errors.Is(err, ErrNodeMissing) || errors.Is(err, ErrDisabled)) && os.Getenv("CI") == ""
}

// ConfigError reports invalid options to Start. Field is the setting at fault,
// named after its option: "Programs" for WithPrograms, "Clone" for WithClone.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("localnet: invalid Config.%s: %s", e.Field, e.Reason)
}

// StartError reports a runtime that failed to come up, with the end of its output.
type StartError struct {
	Backend Backend
	Err     error
	// Output is the last part of the runtime's stderr (or validator log).
	Output string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("localnet: starting %s runtime: %v", e.Backend, e.Err)
	if e.Output != "" {
		msg += "\nruntime output:\n" + e.Output
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

// InstallError reports a failed first-time install of the embedded launcher.
type InstallError struct {
	Dir string
	Err error
	// Output is the end of npm's output.
	Output string
}

func (e *InstallError) Error() string {
	msg := fmt.Sprintf("localnet: installing the embedded runtime in %s: %v", e.Dir, e.Err)
	if e.Output != "" {
		msg += "\nnpm output:\n" + e.Output
	}
	return msg
}

func (e *InstallError) Unwrap() error { return e.Err }
