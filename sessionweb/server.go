package sessionweb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Modes of a session's key.
const (
	// ModeServer: the backend holds the session key and signs the moves the page asks for.
	ModeServer = "server"
	// ModeBrowser: the page holds the key; the relay co-signs its moves as fee payer.
	ModeBrowser = "browser"
)

// Server holds the sessions the page created and serves the handlers. Make it with
// New; it is safe for concurrent use.
type Server struct {
	m       *session.Manager
	game    Game
	target  solana.PublicKey
	relay   *txn.SessionKey
	cache   *sender.BlockhashCache
	origins map[string]bool
	maxBody int64
	timeout time.Duration
	// submitTimeout bounds the requests that wait for a transaction to land.
	submitTimeout         time.Duration
	perClient, perSession *limiter
	log                   *slog.Logger
	params                templates

	mu      sync.Mutex
	entries map[string]*entry

	relayed, refused atomic.Uint64
	relayNanos       atomic.Int64
}

// Stats counts the relay's work since New.
type Stats struct {
	// Relayed moves were co-signed and sent; Refused ones were not co-signed.
	Relayed, Refused uint64
	// Validation is the time spent checking and co-signing relayed moves (decoding, the
	// fee payer, the signature, the guard and the grant), without sending: the relay's
	// own share of a move's wall time.
	Validation time.Duration
}

// Stats returns the relay's counters.
func (s *Server) Stats() Stats {
	return Stats{Relayed: s.relayed.Load(), Refused: s.refused.Load(), Validation: time.Duration(s.relayNanos.Load())}
}

// entry is one session of the page, known by an unguessable id the page holds: the id
// is the capability to play the session (server-held) or to ask the relay (browser-held,
// where the signer's signature is needed as well).
type entry struct {
	mode string
	mu   sync.Mutex // one prepare, submit or revoke at a time
	sess *session.Session
	// pending is the create or revoke awaiting the page's signatures.
	pending *session.Pending
	// lastValid is the last block height of the blockhash the moves are prepared on.
	lastValid uint64
	// prepared is when the create was prepared, live whether it landed: an entry whose
	// create never landed is dropped once its blockhash is surely dead.
	prepared time.Time
	live     bool
}

// abandonAfter is how long a prepared create may wait for the page: past it the
// blockhash has expired (about a minute on every cluster) and the entry is dropped.
const abandonAfter = 3 * time.Minute

// forget drops the entries no call can use any more: creates abandoned before they
// landed, sessions revoked or past their expiry, so that the table stays bounded by the
// sessions in play.
func (s *Server) forget(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.entries {
		if !e.mu.TryLock() {
			continue // in use: not abandoned
		}
		stale := (!e.live && now.Sub(e.prepared) > abandonAfter) || e.sess.Revoked() ||
			now.Unix() > e.sess.ValidUntil()+60 // a minute of slack for the cluster's clock
		e.mu.Unlock()
		if stale {
			delete(s.entries, id)
		}
	}
}

// templates are the CreateParams of each mode, reached through a func so that no print
// of a Server shows a payer's key or a seed they may hold (fmt prints a func as an
// address, and does not call String on unexported fields).
type templates func() map[string]session.CreateParams

// Option configures a Server.
type Option func(*Server)

// WithRelay is the relay's fee-payer key, which co-signs browser-held moves; without it
// only server-held sessions are offered.
func WithRelay(key *txn.SessionKey) Option { return func(s *Server) { s.relay = key } }

// WithOrigins lists the origins (scheme://host[:port]) allowed to call; by default only
// the origin of the request's own Host is. Every POST must carry an allowed Origin (CSRF).
func WithOrigins(origins ...string) Option {
	return func(s *Server) {
		for _, o := range origins {
			s.origins[o] = true
		}
	}
}

// WithLimits sets the body size limit, the timeout of quick requests and of those that
// wait for a transaction to land.
func WithLimits(maxBody int64, timeout, submitTimeout time.Duration) Option {
	return func(s *Server) { s.maxBody, s.timeout, s.submitTimeout = maxBody, timeout, submitTimeout }
}

// WithRateLimits sets the requests per second and the burst of each client address and
// of each session.
func WithRateLimits(perClient, perSession float64, burst int) Option {
	return func(s *Server) {
		s.perClient, s.perSession = newLimiter(perClient, burst), newLimiter(perSession, burst)
	}
}

// WithLogger logs one line per request: method, path, status, duration; never a body.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithCreateParams sets the template of mode's sessions (Kind, TopUp, ValidFor, Grant,
// Tokens; the target is the Server's). By default: create_session, a 0.01 SOL top-up
// for server-held keys, none for browser-held ones (the relay pays), valid for an hour.
func WithCreateParams(mode string, p session.CreateParams) Option {
	return func(s *Server) { s.params()[mode] = p }
}

// New returns a Server for the game at target, creating sessions through m.
func New(m *session.Manager, target solana.PublicKey, game Game, opts ...Option) (*Server, error) {
	s := &Server{
		m: m, game: game, target: target, origins: map[string]bool{},
		maxBody: 64 << 10, timeout: 15 * time.Second, submitTimeout: 90 * time.Second,
		perClient: newLimiter(50, 100), perSession: newLimiter(20, 40),
		log: slog.New(slog.DiscardHandler), entries: map[string]*entry{},
	}
	params := map[string]session.CreateParams{
		ModeServer:  {Kind: session.KindV1, TopUp: client.DefaultTopUpLamports, ValidFor: time.Hour},
		ModeBrowser: {Kind: session.KindV1, Unfunded: true, ValidFor: time.Hour},
	}
	s.params = func() map[string]session.CreateParams { return params }
	for _, o := range opts {
		o(s)
	}
	cache, err := sender.NewBlockhashCache(m.RPC())
	if err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Close stops the Server's blockhash cache.
func (s *Server) Close() { s.cache.Close() }

// Handler is the API under /api/: config, prepare, submit, status, move, move/prepare,
// move/relay, revoke. Mount it beside Static.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/config", s.wrap(false, s.handleConfig))
	mux.Handle("POST /api/prepare", s.wrap(false, s.handlePrepare))
	mux.Handle("POST /api/submit", s.wrap(true, s.handleSubmit))
	mux.Handle("POST /api/status", s.wrap(false, s.handleStatus))
	mux.Handle("POST /api/move", s.wrap(true, s.handleMove))
	mux.Handle("POST /api/move/prepare", s.wrap(false, s.handleMovePrepare))
	mux.Handle("POST /api/move/relay", s.wrap(true, s.handleRelay))
	mux.Handle("POST /api/revoke", s.wrap(true, s.handleRevoke))
	return mux
}

type handler func(ctx context.Context, body []byte) (any, error)

// wrap applies what every call gets: origin and content-type checks, the per-client
// rate limit, the body limit, a timeout, JSON errors, one log line.
func (s *Server) wrap(lands bool, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := http.StatusOK
		defer func() {
			s.log.Info("sessionweb", "method", r.Method, "path", r.URL.Path, "status", status, "took", time.Since(start))
		}()
		fail := func(e *Error) {
			status = e.status
			writeError(w, e)
		}
		if r.Method == http.MethodPost {
			if !s.originAllowed(r) {
				fail(newError(http.StatusForbidden, CodeForbidden, "origin not allowed"))
				return
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				fail(newError(http.StatusUnsupportedMediaType, CodeBadRequest, "Content-Type must be application/json"))
				return
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if !s.perClient.allow(host, start) {
			fail(newError(http.StatusTooManyRequests, CodeRateLimited, "too many requests from this client"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
		if err != nil {
			fail(newError(http.StatusRequestEntityTooLarge, CodeTooLarge, "body over the limit"))
			return
		}
		timeout := s.timeout
		if lands {
			timeout = s.submitTimeout
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		out, err := h(ctx, body)
		if err != nil {
			fail(classify(err))
			return
		}
		writeJSON(w, status, out)
	})
}

func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	if s.origins[o] {
		return true
	}
	if len(s.origins) > 0 {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host == r.Host
}

// Config is what the page needs to know before it connects.
type Config struct {
	TargetProgram string   `json:"targetProgram"`
	Relay         string   `json:"relay,omitempty"`
	Modes         []string `json:"modes"`
}

func (s *Server) handleConfig(context.Context, []byte) (any, error) {
	c := Config{TargetProgram: s.target.String(), Modes: []string{ModeServer}}
	if s.relay != nil {
		c.Relay = s.relay.PublicKey().String()
		c.Modes = append(c.Modes, ModeBrowser)
	}
	return c, nil
}

// PrepareRequest asks for a create transaction for Wallet; with Mode browser, Signer is
// the public key of the page's session key.
type PrepareRequest struct {
	Wallet string `json:"wallet"`
	Mode   string `json:"mode"`
	Signer string `json:"signer,omitempty"`
}

// Prepared is a transaction for the page to sign: its key signs the slot of Signer when
// that is empty, the wallet the rest; then it goes to /api/submit.
type Prepared struct {
	Session     string `json:"session"`
	Mode        string `json:"mode"`
	Token       string `json:"token"`
	Signer      string `json:"signer"`
	Transaction string `json:"transaction"`
	// Grant is the canonical grant the create's memo commits to, when there is one.
	Grant json.RawMessage `json:"grant,omitempty"`
}

func (s *Server) handlePrepare(ctx context.Context, body []byte) (any, error) {
	var req PrepareRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	wallet, err := solana.PublicKeyFromBase58(req.Wallet)
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "wallet: not a base58 public key")
	}
	p, ok := s.params()[req.Mode]
	if !ok || (req.Mode == ModeBrowser && s.relay == nil) {
		return nil, newError(http.StatusBadRequest, CodeWrongMode, "mode: want one of the modes /api/config lists")
	}
	var x session.PrepareParams
	if req.Mode == ModeBrowser {
		if x.Signer, err = solana.PublicKeyFromBase58(req.Signer); err != nil {
			return nil, newError(http.StatusBadRequest, CodeBadRequest, "signer: not a base58 public key")
		}
	} else if req.Signer != "" {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "signer: only for mode browser")
	}
	p.TargetProgram = s.target
	if p.Grant != nil {
		g := *p.Grant // Create completes the grant; each session gets its own
		p.Grant = &g
	}
	if x.Before, err = s.game.Setup(wallet); err != nil {
		return nil, err
	}
	pending, err := s.m.PrepareCreateWith(ctx, wallet, p, x)
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	sess := pending.Session()
	now := time.Now()
	s.forget(now)
	s.mu.Lock()
	s.entries[id] = &entry{mode: req.Mode, sess: sess, pending: pending, prepared: now}
	s.mu.Unlock()
	out := Prepared{Session: id, Mode: req.Mode, Token: sess.Token().String(), Signer: sess.SessionSigner().String(), Transaction: pending.Base64()}
	if g := sess.Grant(); g != nil {
		out.Grant = g.Canonical
	}
	return out, nil
}

func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// lookup finds the session of id and takes a token of its rate limit.
func (s *Server) lookup(id string) (*entry, error) {
	s.mu.Lock()
	e := s.entries[id]
	s.mu.Unlock()
	if e == nil {
		return nil, newError(http.StatusNotFound, CodeUnknownSession, "no such session")
	}
	if !s.perSession.allow(id, time.Now()) {
		return nil, newError(http.StatusTooManyRequests, CodeRateLimited, "too many requests for this session")
	}
	return e, nil
}

// SubmitRequest carries the page-signed form of the prepared create or revoke.
type SubmitRequest struct {
	Session     string `json:"session"`
	Transaction string `json:"transaction"`
}

// Landed answers a transaction that landed.
type Landed struct {
	Signature string `json:"signature"`
	Slot      uint64 `json:"slot,omitempty"`
	Revoked   bool   `json:"revoked,omitempty"`
	// Swept is what a revoke moved back besides rent: lamports, and token accounts emptied.
	Swept  uint64 `json:"swept,omitempty"`
	Tokens int    `json:"tokens,omitempty"`
}

func (s *Server) handleSubmit(ctx context.Context, body []byte) (any, error) {
	var req SubmitRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	e, err := s.lookup(req.Session)
	if err != nil {
		return nil, err
	}
	signed, err := base64.StdEncoding.DecodeString(req.Transaction)
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "transaction: not base64")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == nil {
		return nil, newError(http.StatusConflict, CodeBadRequest, "nothing awaits a signature")
	}
	sig, err := s.m.SubmitSigned(ctx, e.pending, signed)
	if errors.Is(err, session.ErrTampered) {
		return nil, err // the prepared transaction still awaits the honest signature
	}
	e.pending = nil
	if err != nil {
		return nil, err
	}
	e.live = true
	return Landed{Signature: sig.String(), Revoked: e.sess.Revoked()}, nil
}

// SessionRequest names a session.
type SessionRequest struct {
	Session string `json:"session"`
}

// Status is a session's state as the chain and its grant show it.
type Status struct {
	Mode      string `json:"mode"`
	Token     string `json:"token"`
	Signer    string `json:"signer"`
	Authority string `json:"authority"`
	Revoked   bool   `json:"revoked"`
	// ValidUntil is the token's expiry, ClusterTime the cluster's clock now.
	ValidUntil  int64 `json:"validUntil"`
	ClusterTime int64 `json:"clusterTime"`
	ExpiresIn   int64 `json:"expiresIn"`
	// Lamports is the session signer's SOL cap remaining; Tokens its token caps.
	Lamports uint64      `json:"lamports"`
	Tokens   []TokenLeft `json:"tokens,omitempty"`
	// MaxUses and Uses are the grant's move bound and the moves counted.
	MaxUses uint64 `json:"maxUses,omitempty"`
	Uses    uint64 `json:"uses"`
}

// TokenLeft is what remains of one token cap.
type TokenLeft struct {
	Mint      string `json:"mint"`
	Remaining uint64 `json:"remaining"`
	Decimals  uint8  `json:"decimals"`
}

func (s *Server) handleStatus(ctx context.Context, body []byte) (any, error) {
	var req SessionRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	e, err := s.lookup(req.Session)
	if err != nil {
		return nil, err
	}
	return s.status(ctx, e)
}

func (s *Server) status(ctx context.Context, e *entry) (*Status, error) {
	sess := e.sess
	st := &Status{Mode: e.mode, Token: sess.Token().String(), Signer: sess.SessionSigner().String(),
		Authority: sess.Authority().String(), Revoked: sess.Revoked(), ValidUntil: sess.ValidUntil()}
	now, err := s.m.ClusterTime(ctx)
	if err != nil {
		return nil, err
	}
	st.ClusterTime, st.ExpiresIn = now, max(0, sess.ValidUntil()-now)
	if g := sess.Grant(); g != nil {
		st.MaxUses, st.Uses = g.Grant.MaxUses, g.Used["uses"]
	}
	if st.Revoked {
		return st, nil
	}
	caps, err := sess.Caps(ctx)
	if err != nil {
		return nil, err
	}
	st.Lamports = caps.SOL
	for _, t := range caps.Tokens {
		st.Tokens = append(st.Tokens, TokenLeft{Mint: t.Mint.String(), Remaining: t.Remaining, Decimals: t.Decimals})
	}
	return st, nil
}

// MoveRequest names a move of the game (for the example game {"direction":"up"}).
type MoveRequest struct {
	Session string          `json:"session"`
	Move    json.RawMessage `json:"move"`
}

func (s *Server) moveRequest(body []byte, mode string) (*entry, []solana.Instruction, error) {
	var req MoveRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, nil, err
	}
	e, err := s.lookup(req.Session)
	if err != nil {
		return nil, nil, err
	}
	if e.mode != mode {
		return nil, nil, newError(http.StatusBadRequest, CodeWrongMode, "the session's key is "+e.mode+"-held")
	}
	sess := e.sess
	ixs, err := s.game.Move(sess.Authority(), sess.SessionSigner(), sess.Token(), req.Move)
	return e, ixs, err
}

// handleMove plays a move of a server-held session.
func (s *Server) handleMove(ctx context.Context, body []byte) (any, error) {
	e, ixs, err := s.moveRequest(body, ModeServer)
	if err != nil {
		return nil, err
	}
	res, err := e.sess.Send(ctx, ixs)
	if err != nil {
		return nil, err
	}
	return Landed{Signature: res.Signature.String(), Slot: res.Slot}, nil
}

// PreparedMove is a message for the page's session key to sign; it goes back to
// /api/move/relay with the signature.
type PreparedMove struct {
	Message string `json:"message"`
}

// handleMovePrepare builds a browser-held session's move with the relay as fee payer.
func (s *Server) handleMovePrepare(ctx context.Context, body []byte) (any, error) {
	e, ixs, err := s.moveRequest(body, ModeBrowser)
	if err != nil {
		return nil, err
	}
	bh, err := s.cache.Get(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := e.sess.PrepareMove(ctx, bh.Hash, ixs, s.relay.PublicKey())
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.lastValid = max(e.lastValid, bh.LastValidBlockHeight)
	e.mu.Unlock()
	return PreparedMove{Message: base64.StdEncoding.EncodeToString(msg)}, nil
}

// handleRelay co-signs and sends a browser-signed move that passes cosign's checks.
func (s *Server) handleRelay(ctx context.Context, body []byte) (any, error) {
	start := time.Now()
	wire, e, err := s.validate(ctx, body)
	s.relayNanos.Add(int64(time.Since(start)))
	if err != nil {
		s.refused.Add(1)
		return nil, err
	}
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, "message: does not decode as a transaction")
	}
	e.mu.Lock()
	lastValid := e.lastValid
	e.mu.Unlock()
	res, err := e.sess.SendSigned(ctx, tx, lastValid)
	if err != nil {
		return nil, err
	}
	s.relayed.Add(1)
	return Landed{Signature: res.Signature.String(), Slot: res.Slot}, nil
}

// validate is the relay's judgement of a request: the session, then cosign.
func (s *Server) validate(ctx context.Context, body []byte) ([]byte, *entry, error) {
	req, msg, sig, err := decodeRelay(body)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.lookup(req.Session)
	if err != nil {
		return nil, nil, err
	}
	if e.mode != ModeBrowser {
		return nil, nil, newError(http.StatusBadRequest, CodeWrongMode, "the session's key is server-held")
	}
	wire, err := cosign(ctx, s.relay, e.sess, msg, sig)
	return wire, e, err
}

// handleRevoke revokes a server-held session at once (its key signs and pays); for a
// browser-held one it prepares the revoke, relay-paid, for the page's key to sign and
// /api/submit to send.
func (s *Server) handleRevoke(ctx context.Context, body []byte) (any, error) {
	var req SessionRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	e, err := s.lookup(req.Session)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mode == ModeServer {
		res, err := s.m.Revoke(ctx, e.sess, session.RevokeParams{})
		if err != nil {
			return nil, err
		}
		return Landed{Signature: res.Signature.String(), Revoked: true, Swept: res.Swept, Tokens: len(res.Tokens)}, nil
	}
	pending, err := s.m.PrepareRevoke(ctx, e.sess, session.RevokeParams{FeePayer: s.relay})
	if err != nil {
		return nil, err
	}
	e.pending = pending
	return Prepared{Session: req.Session, Mode: e.mode, Token: e.sess.Token().String(), Signer: e.sess.SessionSigner().String(), Transaction: pending.Base64()}, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
