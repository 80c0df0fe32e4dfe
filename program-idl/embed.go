package programidl

import (
	"bytes"
	_ "embed"
)

// sessionJSON is a byte copy of the gpl_session IDL shipped in
// @magicblock-labs/gum-sdk 3.0.10 (Anchor 0.30 spec, metadata version 2.0.8: all five
// instructions, both token accounts, errors 6000–6003).
//
//go:embed gpl_session.json
var sessionJSON []byte

// gumSessionJSON is a byte copy of the Gum-era legacy IDL (@gumhq/sdk 3.0.1):
// create_session(top_up, valid_until) and revoke_session only, errors 6000–6002.
//
//go:embed gpl_session.gum.json
var gumSessionJSON []byte

// Session parses the embedded current gpl_session IDL.
func Session() (*IDL, error) { return Parse(sessionJSON) }

// GumSession parses the embedded Gum-era legacy IDL.
func GumSession() (*IDL, error) { return Parse(gumSessionJSON) }

// SessionJSON returns a copy of the embedded current IDL document.
func SessionJSON() []byte { return bytes.Clone(sessionJSON) }

// GumSessionJSON returns a copy of the embedded Gum-era IDL document.
func GumSessionJSON() []byte { return bytes.Clone(gumSessionJSON) }
