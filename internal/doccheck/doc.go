// Package doccheck holds tests that keep the repository's prose honest: every Go snippet in
// README.md must stand verbatim in an Example or test, so the tour always compiles.
package doccheck
