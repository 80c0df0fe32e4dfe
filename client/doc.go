// Package client speaks the gpl_session (session keys) program's wire format: instruction
// builders, token account codecs, error mapping, off-chain validation and fast signing.
//
// Everything here matches the deployed program byte for byte (see the conformance tests
// against the embedded IDL in package programidl and the golden vectors in testdata/).
// Time-dependent checks take the cluster's unix time from the caller (Clock sysvar or
// block time), never the local clock, because that is the clock the program uses.
package client
