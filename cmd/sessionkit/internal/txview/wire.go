package txview

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// ErrMalformed means bytes that are not a transaction or message the runtime would
// accept for decoding: truncated, with trailing bytes, a header or an index out of range.
var ErrMalformed = errors.New("txview: malformed transaction")

// ErrUnsupportedVersion means a versioned message other than v0.
var ErrUnsupportedVersion = errors.New("txview: unsupported message version")

// PacketSize is the largest serialized transaction the network carries.
const PacketSize = 1232

// message is a parsed legacy or v0 message.
type message struct {
	// version is -1 for a legacy message.
	version      int
	header       [3]uint8 // required signatures, read-only signed, read-only unsigned
	keys         []solana.PublicKey
	blockhash    solana.Hash
	instructions []compiledInstruction
	lookups      []lookup
	// raw are the message's bytes, which the signatures sign.
	raw []byte
}

type compiledInstruction struct {
	program  uint8
	accounts []uint8
	data     []byte
}

type lookup struct {
	table              solana.PublicKey
	writable, readonly []uint8
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// reader walks the wire bytes; every read checks the length first.
type reader struct {
	b   []byte
	off int
}

func (r *reader) take(n int, what string) ([]byte, error) {
	if n > len(r.b)-r.off {
		return nil, malformed("%s: need %s at byte %d, %d left", what, plural(n, "byte"), r.off, len(r.b)-r.off)
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out, nil
}

// shortVec reads a compact-u16 length as the runtime does: at most three bytes, no
// redundant zero continuation, at most 0xffff.
func (r *reader) shortVec(what string) (int, error) {
	v := 0
	for i := range 3 {
		b, err := r.take(1, what+" length")
		if err != nil {
			return 0, err
		}
		if i > 0 && b[0] == 0 {
			return 0, malformed("%s length: non-canonical encoding at byte %d", what, r.off-1)
		}
		if i == 2 && b[0] > 3 {
			return 0, malformed("%s length: over 0xffff at byte %d", what, r.off-1)
		}
		v |= int(b[0]&0x7f) << (7 * i)
		if b[0]&0x80 == 0 {
			return v, nil
		}
	}
	return 0, malformed("%s length: more than 3 bytes at byte %d", what, r.off-1)
}

func (r *reader) indexes(what string) ([]uint8, error) {
	n, err := r.shortVec(what)
	if err != nil {
		return nil, err
	}
	return r.take(n, what)
}

// parseTransaction reads signatures followed by a message.
func parseTransaction(b []byte) ([]solana.Signature, *message, error) {
	r := reader{b: b}
	n, err := r.shortVec("signatures")
	if err != nil {
		return nil, nil, err
	}
	raw, err := r.take(64*n, "signatures")
	if err != nil {
		return nil, nil, err
	}
	sigs := make([]solana.Signature, n)
	for i := range sigs {
		copy(sigs[i][:], raw[64*i:])
	}
	m, err := r.message()
	if err != nil {
		return nil, nil, err
	}
	if int(m.header[0]) != n {
		return nil, nil, malformed("%d signatures for %d required signers", n, m.header[0])
	}
	return sigs, m, nil
}

// parseMessage reads a bare message. On error, read is how far the reading got.
func parseMessage(b []byte) (m *message, read int, err error) {
	r := reader{b: b}
	m, err = r.message()
	return m, r.off, err
}

// message reads a legacy or v0 message that fills the rest of the bytes, and checks
// what the runtime's sanitize checks before any index is used.
func (r *reader) message() (*message, error) {
	m := &message{version: -1, raw: r.b[r.off:]}
	if r.off < len(r.b) && r.b[r.off]&0x80 != 0 {
		if m.version = int(r.b[r.off] & 0x7f); m.version != 0 {
			return nil, fmt.Errorf("%w: v%d", ErrUnsupportedVersion, m.version)
		}
		r.off++
	}
	h, err := r.take(3, "header")
	if err != nil {
		return nil, err
	}
	copy(m.header[:], h)
	n, err := r.shortVec("account keys")
	if err != nil {
		return nil, err
	}
	raw, err := r.take(32*n, "account keys")
	if err != nil {
		return nil, err
	}
	m.keys = make([]solana.PublicKey, n)
	for i := range m.keys {
		copy(m.keys[i][:], raw[32*i:])
	}
	bh, err := r.take(32, "recent blockhash")
	if err != nil {
		return nil, err
	}
	copy(m.blockhash[:], bh)

	if n, err = r.shortVec("instructions"); err != nil {
		return nil, err
	}
	// Every instruction takes at least 3 bytes, so capacity never outgrows the data.
	m.instructions = make([]compiledInstruction, 0, min(n, len(r.b)/3))
	for i := range n {
		what := fmt.Sprintf("instruction %d", i)
		p, err := r.take(1, what+" program index")
		if err != nil {
			return nil, err
		}
		ix := compiledInstruction{program: p[0]}
		if ix.accounts, err = r.indexes(what + " accounts"); err != nil {
			return nil, err
		}
		dn, err := r.shortVec(what + " data")
		if err != nil {
			return nil, err
		}
		if ix.data, err = r.take(dn, what+" data"); err != nil {
			return nil, err
		}
		m.instructions = append(m.instructions, ix)
	}

	if m.version == 0 {
		if n, err = r.shortVec("address table lookups"); err != nil {
			return nil, err
		}
		m.lookups = make([]lookup, 0, min(n, len(r.b)/34))
		for i := range n {
			what := fmt.Sprintf("address table lookup %d", i)
			t, err := r.take(32, what)
			if err != nil {
				return nil, err
			}
			l := lookup{table: solana.PublicKeyFromBytes(t)}
			if l.writable, err = r.indexes(what + " writable indexes"); err != nil {
				return nil, err
			}
			if l.readonly, err = r.indexes(what + " read-only indexes"); err != nil {
				return nil, err
			}
			m.lookups = append(m.lookups, l)
		}
	}
	if r.off != len(r.b) {
		return nil, malformed("%d trailing bytes after the message", len(r.b)-r.off)
	}

	// The checks on what was read come last, so that a failure here means the bytes are
	// a message in form (see parse).
	required, roSigned, roUnsigned := int(m.header[0]), int(m.header[1]), int(m.header[2])
	if required == 0 || roSigned >= required || required+roUnsigned > len(m.keys) {
		return nil, malformed("header (%d signers, %d of them read-only, %d read-only unsigned) does not fit %d account keys",
			required, roSigned, roUnsigned, len(m.keys))
	}
	total := m.accountCount()
	if total > 256 {
		return nil, malformed("%d accounts, more than 256", total)
	}
	for i, ix := range m.instructions {
		// Programs are static keys: the runtime loads them before any lookup table.
		if int(ix.program) >= len(m.keys) {
			return nil, malformed("instruction %d: program index %d, %d account keys", i, ix.program, len(m.keys))
		}
		for j, a := range ix.accounts {
			if int(a) >= total {
				return nil, malformed("instruction %d account %d: index %d, %d accounts", i, j, a, total)
			}
		}
	}
	return m, nil
}

// accountCount is the static keys plus those the lookup tables load.
func (m *message) accountCount() int {
	n := len(m.keys)
	for _, l := range m.lookups {
		n += len(l.writable) + len(l.readonly)
	}
	return n
}
