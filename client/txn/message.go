package txn

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// ErrCompile means instructions that cannot form a legacy message (none, a nil account
// meta, more than 256 distinct keys).
var ErrCompile = errors.New("txn: cannot compile message")

// ErrSigner means signing keys that do not match the message's required signers.
var ErrSigner = errors.New("txn: signer mismatch")

// LegacyMessage is a compiled legacy transaction message, ready to sign.
type LegacyMessage struct {
	bytes    []byte
	nSigners int
	keysAt   int // offset of the first account key in bytes
}

type msgKey struct {
	key                       solana.PublicKey
	signer, writable, invoked bool
	// table is 1 + the index of the lookup table that loads the key, 0 for a static key
	// (bytes keep the struct small: keys are swapped while sorting); at is its index in
	// that table.
	table, at byte
}

// less orders keys as the runtime expects: static keys first, signers first among
// them, writable before read-only within each group, then by key bytes (Agave's
// CompiledKeys sorts by key too). Looked-up keys follow: the writable ones of every
// table, then the read-only ones, each in table order and then by key.
func (a *msgKey) less(b *msgKey) bool {
	if (a.table == 0) != (b.table == 0) {
		return a.table == 0
	}
	if a.table != 0 {
		if a.writable != b.writable {
			return a.writable
		}
		if a.table != b.table {
			return a.table < b.table
		}
		return string(a.key[:]) < string(b.key[:])
	}
	if a.signer != b.signer {
		return a.signer
	}
	if a.writable != b.writable {
		return a.writable
	}
	return string(a.key[:]) < string(b.key[:])
}

// CompileLegacy compiles instructions into a legacy message paid by feePayer. The bytes
// equal those of solana.NewTransaction(ixs, blockhash, solana.TransactionPayer(feePayer))
// with Message.MarshalBinary, except in one case where solana-go is wrong: a key that
// is a read-only signer in one place and writable in another is written as a writable
// signer but ordered among the read-only ones. Here flags are merged before sorting, as
// in Agave. Unlike solana-go, the instructions' metas are never modified.
func CompileLegacy(feePayer solana.PublicKey, blockhash solana.Hash, ixs ...solana.Instruction) (LegacyMessage, error) {
	return compile(feePayer, blockhash, nil, ixs)
}

// compile is CompileLegacy, or with tables (not nil) CompileV0.
func compile(feePayer solana.PublicKey, blockhash solana.Hash, tables []LookupTable, ixs []solana.Instruction) (LegacyMessage, error) {
	if len(ixs) == 0 {
		return LegacyMessage{}, fmt.Errorf("%w: no instructions", ErrCompile)
	}
	var stack [16]msgKey
	keys := append(stack[:0], msgKey{key: feePayer, signer: true, writable: true})
	add := func(k solana.PublicKey, signer, writable, invoked bool) {
		for i := range keys {
			if keys[i].key == k {
				keys[i].signer = keys[i].signer || signer
				keys[i].writable = keys[i].writable || writable
				keys[i].invoked = keys[i].invoked || invoked
				return
			}
		}
		keys = append(keys, msgKey{key: k, signer: signer, writable: writable, invoked: invoked})
	}
	// Data is read once per instruction: solana-go's own instructions encode it afresh
	// (and allocate) on every call.
	var dataStack [4][]byte
	datas := dataStack[:0]
	dataLen := 0
	for i, ix := range ixs {
		metas := ix.Accounts()
		for j, m := range metas {
			if m == nil {
				return LegacyMessage{}, fmt.Errorf("%w: instruction %d account %d is nil", ErrCompile, i, j)
			}
			add(m.PublicKey, m.IsSigner, m.IsWritable, false)
		}
		add(ix.ProgramID(), false, false, true)
		data, err := ix.Data()
		if err != nil {
			return LegacyMessage{}, fmt.Errorf("%w: instruction %d data: %w", ErrCompile, i, err)
		}
		datas = append(datas, data)
		dataLen += 3 + 3 + len(metas) + 3 + len(data)
	}
	nStatic, nTables, lookupLen := lookUp(keys, tables)
	if nStatic > 256 {
		return LegacyMessage{}, fmt.Errorf("%w: %d account keys, a message holds 256", ErrCompile, nStatic)
	}
	if len(keys) > 256 {
		return LegacyMessage{}, fmt.Errorf("%w: %d accounts, a v0 message indexes 256", ErrCompile, len(keys))
	}
	// Insertion sort: a handful of keys, and no allocation.
	rest := keys[1:]
	for i := 1; i < len(rest); i++ {
		for j := i; j > 0 && rest[j].less(&rest[j-1]); j-- {
			rest[j], rest[j-1] = rest[j-1], rest[j]
		}
	}

	var nSigners, roSigned, roUnsigned byte
	for i := range keys[:nStatic] {
		switch {
		case keys[i].signer:
			nSigners++
			if !keys[i].writable {
				roSigned++
			}
		case !keys[i].writable:
			roUnsigned++
		}
	}
	index := func(k solana.PublicKey) byte {
		for i := range keys {
			if keys[i].key == k {
				return byte(i)
			}
		}
		return 0 // unreachable: every key was added above
	}

	b := make([]byte, 0, 1+3+3+32*nStatic+32+3+dataLen+lookupLen)
	if tables != nil {
		b = append(b, v0Prefix)
	}
	b = append(b, nSigners, roSigned, roUnsigned)
	b = appendCompactU16(b, nStatic)
	keysAt := len(b)
	for i := range keys[:nStatic] {
		b = append(b, keys[i].key[:]...)
	}
	b = append(b, blockhash[:]...)
	b = appendCompactU16(b, len(ixs))
	for i, ix := range ixs {
		b = append(b, index(ix.ProgramID()))
		metas := ix.Accounts()
		b = appendCompactU16(b, len(metas))
		for _, m := range metas {
			b = append(b, index(m.PublicKey))
		}
		b = appendCompactU16(b, len(datas[i]))
		b = append(b, datas[i]...)
	}
	if tables != nil {
		b = appendLookups(b, keys[nStatic:], tables, nTables)
	}
	return LegacyMessage{bytes: b, nSigners: int(nSigners), keysAt: keysAt}, nil
}

// appendCompactU16 writes Solana's short_vec length (7 bits per byte, high bit = more).
func appendCompactU16(b []byte, n int) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

// Bytes returns the serialized message, the bytes every signer signs. Do not modify it.
func (m LegacyMessage) Bytes() []byte { return m.bytes }

// Signers returns the required signers in signature order (the fee payer first).
func (m LegacyMessage) Signers() []solana.PublicKey {
	out := make([]solana.PublicKey, m.nSigners)
	for i := range out {
		out[i] = m.signer(i)
	}
	return out
}

func (m LegacyMessage) signer(i int) solana.PublicKey {
	return solana.PublicKey(m.bytes[m.keysAt+32*i : m.keysAt+32*(i+1)])
}

// Sign signs the message with keys (in any order; each required signer exactly once, no
// others) and returns the wire transaction: signature count, signatures, message.
// wire[1:65] is the fee payer's signature, the transaction's id.
func (m LegacyMessage) Sign(keys ...*SessionKey) ([]byte, error) {
	if m.nSigners == 0 {
		return nil, fmt.Errorf("%w: message not compiled", ErrSigner)
	}
	if len(keys) != m.nSigners {
		return nil, fmt.Errorf("%w: %d keys for %d required signers %v", ErrSigner, len(keys), m.nSigners, m.Signers())
	}
	wire, sigAt := m.wireBuffer()
	for i := 0; i < m.nSigners; i++ {
		want := m.signer(i)
		var key *SessionKey
		for _, k := range keys {
			if k != nil && k.pub == want {
				key = k
				break
			}
		}
		if key == nil {
			return nil, fmt.Errorf("%w: no key for required signer %s", ErrSigner, want)
		}
		if key.Zeroed() {
			return nil, fmt.Errorf("%w: key for %s", ErrKeyZeroed, want)
		}
		sig := key.Sign(m.bytes)
		copy(wire[sigAt+64*i:], sig[:])
	}
	return wire, nil
}

// Assemble builds the wire transaction from signatures made elsewhere, given in
// Signers order. It does not verify them.
func (m LegacyMessage) Assemble(sigs []solana.Signature) ([]byte, error) {
	if m.nSigners == 0 || len(sigs) != m.nSigners {
		return nil, fmt.Errorf("%w: %d signatures for %d required signers", ErrSigner, len(sigs), m.nSigners)
	}
	wire, sigAt := m.wireBuffer()
	for i := range sigs {
		copy(wire[sigAt+64*i:], sigs[i][:])
	}
	return wire, nil
}

// wireBuffer allocates the transaction with zeroed signature slots and the message in
// place, returning where the first signature goes.
func (m LegacyMessage) wireBuffer() ([]byte, int) {
	prefix := appendCompactU16(make([]byte, 0, 3), m.nSigners)
	wire := make([]byte, len(prefix)+64*m.nSigners+len(m.bytes))
	n := copy(wire, prefix)
	copy(wire[n+64*m.nSigners:], m.bytes)
	return wire, n
}
