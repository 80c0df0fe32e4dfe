package sessionweb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/gagliardetto/solana-go"
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/sessionkit/sessionkit/client/txn"
)

// RelayRequest is the body of a relayed move: the message the server prepared and the
// session signer's signature over it, both base64.
type RelayRequest struct {
	Session   string `json:"session"`
	Message   string `json:"message"`
	Signature string `json:"signature"`
}

// maxMessage is the largest legacy message a transaction of one packet can carry.
const maxMessage = 1232 - 1 - 2*64

// decodeRelay parses a relay request body strictly: known fields only, a message of
// at most one packet, a 64-byte signature.
func decodeRelay(body []byte) (req RelayRequest, msg []byte, sig solana.Signature, err error) {
	if err := strictJSON(body, &req); err != nil {
		return req, nil, sig, err
	}
	if req.Session == "" {
		return req, nil, sig, newError(http.StatusBadRequest, CodeBadRequest, "no session")
	}
	msg, derr := base64.StdEncoding.DecodeString(req.Message)
	if derr != nil || len(msg) == 0 || len(msg) > maxMessage {
		return req, nil, sig, newError(http.StatusBadRequest, CodeBadRequest, "message: want base64 of a legacy message of at most one packet")
	}
	raw, derr := base64.StdEncoding.DecodeString(req.Signature)
	if derr != nil || len(raw) != len(sig) {
		return req, nil, sig, newError(http.StatusBadRequest, CodeBadRequest, "signature: want base64 of 64 bytes")
	}
	copy(sig[:], raw)
	return req, msg, sig, nil
}

// admitter is what the relay needs of a session: its signer, and the judgement of the
// guard and the grant on a compiled message (session.Session.AdmitMove).
type admitter interface {
	SessionSigner() solana.PublicKey
	AdmitMove(ctx context.Context, msg []byte) error
}

// cosign checks msg as the relay must before it pays: the fee payer is the relay, the
// only other required signer is the session signer, whose signature verifies, and the
// session (guard and grant) admits the message. Then the relay signs and the
// transaction comes back in wire form. Nothing is signed on any refusal.
func cosign(ctx context.Context, relay *txn.SessionKey, s admitter, msg []byte, sig solana.Signature) ([]byte, error) {
	keys, required, err := signers(msg)
	if err != nil {
		return nil, err
	}
	if keys[0] != relay.PublicKey() {
		return nil, newError(http.StatusForbidden, CodeFeePayer, "the fee payer is "+keys[0].String()+", not the relay "+relay.PublicKey().String())
	}
	signer := s.SessionSigner()
	if required != 2 || keys[1] != signer {
		return nil, newError(http.StatusForbidden, CodeRefused, "a relayed move is signed by the relay and the session signer "+signer.String()+" alone")
	}
	// curve25519-voi, as txn.SessionKey signs: about twice as fast as crypto/ed25519 here,
	// and a relay verifies every move.
	if !voied25519.Verify(signer[:], msg, sig[:]) {
		return nil, newError(http.StatusForbidden, CodeSignature, "the signature of "+signer.String()+" does not verify against the message")
	}
	if err := s.AdmitMove(ctx, msg); err != nil {
		return nil, err
	}
	wire := make([]byte, 0, 1+2*64+len(msg))
	mine := relay.Sign(msg)
	wire = append(wire, 2)
	wire = append(wire, mine[:]...)
	wire = append(wire, sig[:]...)
	return append(wire, msg...), nil
}

// signers reads a legacy message's header and account keys: the first keys are the
// required signers, the first of them the fee payer.
func signers(msg []byte) (keys []solana.PublicKey, required int, err error) {
	bad := func(why string) ([]solana.PublicKey, int, error) {
		return nil, 0, newError(http.StatusBadRequest, CodeBadRequest, "message: "+why)
	}
	if len(msg) < 4 {
		return bad("too short")
	}
	if msg[0]&0x80 != 0 {
		return bad("a versioned message; the relay takes legacy messages")
	}
	required = int(msg[0])
	n, size, ok := compactU16(msg[3:])
	if !ok {
		return bad("bad account count")
	}
	off := 3 + size
	if n == 0 || required == 0 || required > n || len(msg) < off+32*n {
		return bad("accounts do not match the header")
	}
	keys = make([]solana.PublicKey, required)
	for i := range keys {
		copy(keys[i][:], msg[off+32*i:])
	}
	// The relay pays the fee and nothing else: no instruction may name the fee payer (a
	// transfer from it, say), whatever the guard thinks of the session signer's part.
	off += 32*n + 32 // the keys, the blockhash
	count, size, ok := compactU16(msg[min(off, len(msg)):])
	if !ok {
		return bad("bad instruction count")
	}
	off += size
	for range count {
		if off >= len(msg) {
			return bad("instructions cut short")
		}
		if msg[off] == 0 {
			return nil, 0, newError(http.StatusForbidden, CodeFeePayer, "an instruction runs the fee payer as a program")
		}
		off++
		accts, size, ok := compactU16(msg[off:])
		if !ok || len(msg) < off+size+accts {
			return bad("instruction accounts cut short")
		}
		off += size
		for _, idx := range msg[off : off+accts] {
			if idx == 0 {
				return nil, 0, newError(http.StatusForbidden, CodeFeePayer, "an instruction names the relay, which only pays the fee")
			}
		}
		off += accts
		dlen, size, ok := compactU16(msg[off:])
		if !ok || len(msg) < off+size+dlen {
			return bad("instruction data cut short")
		}
		off += size + dlen
	}
	if off != len(msg) {
		return bad("trailing bytes")
	}
	return keys, required, nil
}

// compactU16 decodes Solana's compact-u16 length in its shortest spelling.
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

// strictJSON decodes one JSON object into v, refusing unknown fields and trailing data.
func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newError(http.StatusBadRequest, CodeBadRequest, "body: "+err.Error())
	}
	if dec.More() {
		return newError(http.StatusBadRequest, CodeBadRequest, "body: trailing data")
	}
	return nil
}
