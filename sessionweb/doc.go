// Package sessionweb is the browser side of sessions: net/http handlers for the
// wallet-signs-once create, server-held and browser-held session keys, a sponsoring relay,
// and the embedded ES module and demo page that talk to them.
//
// Two modes share the handlers. With a server-held key the backend holds the session key
// and plays the moves the page asks for; the wallet signs the create alone. With a
// browser-held key the page makes a non-extractable WebCrypto Ed25519 key, the server
// prepares every message (the relay as fee payer, the session signer as a required
// signer), the page signs the bytes, and the relay co-signs only a message whose fee payer
// is the relay and that the signing guard and the session's grant accept.
package sessionweb
