// Package secrets holds the module-wide test that no exported type carries a private
// key in a field that prints it; it has no non-test code.
package secrets
