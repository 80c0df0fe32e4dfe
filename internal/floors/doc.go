// Package floors holds the test that keeps sessionkit's packages on floors: an import may
// stay on its floor or go down, never up. The floors are those of docs/architecture.md.
package floors
