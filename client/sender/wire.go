package sender

import (
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// maxWireSize is the runtime's PACKET_DATA_SIZE: every node refuses a larger transaction.
const maxWireSize = 1232

// inspect reads what the sender needs from a transaction in wire form, the signature and
// the recent blockhash, and refuses bytes no node would accept, without decoding the
// instructions: the build path hands over its bytes as they are sent.
func inspect(wire []byte) (sig solana.Signature, blockhash solana.Hash, err error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTransaction}, args...)...)
	}
	if len(wire) == 0 {
		return sig, blockhash, invalid("no bytes")
	}
	if len(wire) > maxWireSize {
		return sig, blockhash, invalid("%d bytes, a transaction holds %d", len(wire), maxWireSize)
	}
	n, off, ok := compactU16(wire)
	switch {
	case !ok:
		return sig, blockhash, invalid("bad signature count")
	case n == 0:
		return sig, blockhash, invalid("not signed")
	case len(wire) < off+64*n:
		return sig, blockhash, invalid("truncated in signature %d of %d", (len(wire)-off)/64, n)
	}
	sigs, msg := wire[off:off+64*n], wire[off+64*n:]
	for i := range n {
		if solana.Signature(sigs[64*i : 64*(i+1)]).IsZero() {
			// The zero signature verifies for no key.
			return sig, blockhash, invalid("signature %d of %d missing", i, n)
		}
	}
	if len(msg) > 0 && msg[0]&0x80 != 0 {
		if msg[0] != 0x80 {
			return sig, blockhash, invalid("message version %d", msg[0]&0x7f)
		}
		msg = msg[1:]
	}
	if len(msg) < 3 {
		return sig, blockhash, invalid("truncated message header")
	}
	if int(msg[0]) != n {
		// The runtime requires one signature per required signer, no more.
		return sig, blockhash, invalid("%d signatures for %d required signers", n, msg[0])
	}
	keys, koff, ok := compactU16(msg[3:])
	at := 3 + koff + 32*keys
	switch {
	case !ok:
		return sig, blockhash, invalid("bad account key count")
	case keys < n:
		return sig, blockhash, invalid("%d account keys for %d signers", keys, n)
	case len(msg) < at+32:
		return sig, blockhash, invalid("truncated before the recent blockhash")
	}
	return solana.Signature(sigs[:64]), solana.Hash(msg[at : at+32]), nil
}

// compactU16 decodes Solana's short_vec length. Like the runtime it refuses an encoding
// longer than needed and a value past u16, so that a count has one spelling.
func compactU16(b []byte) (n, size int, ok bool) {
	for i := 0; i < 3 && i < len(b); i++ {
		n |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if (i > 0 && b[i] == 0) || n > 0xffff {
				return 0, 0, false
			}
			return n, i + 1, true
		}
	}
	return 0, 0, false
}
