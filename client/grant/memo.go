package grant

import (
	"bytes"
	"encoding/hex"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/spl"
)

// MemoPrefix starts the memo text: the hash follows in 64 lower-case hex digits.
const MemoPrefix = "sessionkit-grant-v1 sha256:"

// MemoText is the memo carrying hash.
func MemoText(hash [32]byte) string { return MemoPrefix + hex.EncodeToString(hash[:]) }

// Memo is the Memo program instruction carrying hash, with authority as its one
// account: the Memo program requires every listed account to sign, so the authority's
// signature on the create transaction covers the grant.
func Memo(authority solana.PublicKey, hash [32]byte) solana.Instruction {
	return solana.NewInstruction(spl.MemoProgramID,
		solana.AccountMetaSlice{solana.NewAccountMeta(authority, false, true)}, []byte(MemoText(hash)))
}

// ParseMemo reads the hash from a memo instruction's data, reporting false for any
// other memo.
func ParseMemo(data []byte) ([32]byte, bool) {
	var h [32]byte
	rest, ok := bytes.CutPrefix(data, []byte(MemoPrefix))
	if !ok || len(rest) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], rest); err != nil || hex.EncodeToString(h[:]) != string(rest) {
		return [32]byte{}, false
	}
	return h, true
}
