package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// KeySet supplies verification keys (JWKS).
type KeySet interface {
	// Keyfunc is a jwt.Keyfunc: it returns the key (or jwt.VerificationKeySet)
	// that may verify token, or an error.
	Keyfunc(token *jwt.Token) (any, error)
	// Ready is true once at least one key set has been loaded.
	Ready() bool
}

// ContextKeySet is implemented by key sets whose key lookup may wait (for an
// on-demand JWKS fetch) and should stop waiting when the request ends. The
// Validator uses it when available.
type ContextKeySet interface {
	KeySet
	KeyfuncCtx(ctx context.Context) jwt.Keyfunc
}

// Defaults of JWKSOptions.
const (
	DefaultRefreshInterval    = time.Hour
	DefaultUnknownKIDInterval = 10 * time.Second
	DefaultHTTPTimeout        = 10 * time.Second
	// MaxJWKSBytes bounds a JWKS response: real sets are a few KiB, and an
	// unbounded read would let the JWKS host (or whoever answers for it)
	// exhaust our memory.
	MaxJWKSBytes = 1 << 20
)

// JWKSOptions tunes a remote JWKS. Zero values take the defaults.
type JWKSOptions struct {
	RefreshInterval    time.Duration // default 1h
	UnknownKIDInterval time.Duration // at most one unknown-kid refresh per interval, default 10s
	HTTPTimeout        time.Duration // default 10s
	HTTPClient         *http.Client  // default: a client with HTTPTimeout
	Logger             *slog.Logger  // default slog.Default()
	// AllowHTTP permits a plain-http JWKS URL on a non-loopback host. Off by
	// default: whoever can alter the JWKS response in transit can sign
	// tokens this server accepts, so only https (or loopback) is trusted.
	AllowHTTP bool
	// OnRefresh, when set, is called after every fetch of the key set
	// (scheduled or on demand) with its outcome: nil for keys loaded, else
	// the error. It is the hook for metrics; it runs on the fetching
	// goroutine, so it must be quick and must not block.
	OnRefresh func(err error)
}

// JWKS is a KeySet backed by a JSON Web Key Set, either fetched from a URL
// and refreshed, or static.
//
// keyfunc/v3 is deliberately not used for fetching: its unknown-kid refresh
// waits on the rate limiter with the same context as the refresh itself, so
// a short wait breaks refreshes and a long one makes requests hang. JWKS
// instead shares one in-flight fetch between all goroutines (single flight),
// allows at most one on-demand fetch per UnknownKIDInterval, fails other
// unknown kids at once, and bounds every fetch by HTTPTimeout. JWK decoding
// is jwkset's.
type JWKS struct {
	url    string
	client *http.Client
	opts   JWKSOptions
	logger *slog.Logger
	ctx    context.Context

	keys atomic.Pointer[keySnapshot]

	mu           sync.Mutex
	inflight     *fetchCall
	lastOnDemand time.Time
}

var _ ContextKeySet = (*JWKS)(nil)

type fetchCall struct {
	done chan struct{}
	err  error
}

type jwkEntry struct {
	kid string
	alg string // the JWK's alg; "" when the JWK does not name one
	key crypto.PublicKey
}

type keySnapshot struct {
	byKID map[string][]jwkEntry
	all   []jwkEntry
}

// Errors a key lookup wraps; the Validator maps them to responses.
var (
	errUnknownKID     = errors.New("no key with this kid")
	errNoMatchingKey  = errors.New("no key of the type the algorithm needs")
	errJWKSNoKeys     = errors.New("jwks has no usable signature verification keys")
	errJWKSNoKeysList = errors.New(`jwks has no "keys" array`)
)

// NewRemoteJWKS fetches the key set at url once (bounded by HTTPTimeout) and
// then refreshes it every RefreshInterval until ctx is cancelled. A JWKS host
// that is down at start is not an error: Ready reports false, token requests
// are answered 503, and loading is retried in the background with backoff. A
// failed refresh keeps the last good keys.
func NewRemoteJWKS(ctx context.Context, url string, opts JWKSOptions) (*JWKS, error) {
	if err := checkFetchURL("jwks url", url, opts.AllowHTTP); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.UnknownKIDInterval <= 0 {
		opts.UnknownKIDInterval = DefaultUnknownKIDInterval
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = DefaultHTTPTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = secureClient("jwks", opts.HTTPTimeout, opts.AllowHTTP)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	j := &JWKS{url: url, client: opts.HTTPClient, opts: opts, logger: opts.Logger, ctx: ctx}
	first := j.startFetch()
	select {
	case <-first.done:
	case <-ctx.Done():
	}
	go j.refreshLoop(first)
	return j, nil
}

// NewStaticJWKS returns a key set holding the keys of a JWKS document, for
// tests and air-gapped deployments. It never fetches anything.
func NewStaticJWKS(raw []byte) (*JWKS, error) {
	snap, err := parseJWKS(raw, nil)
	if err != nil {
		return nil, fmt.Errorf("static jwks: %w", err)
	}
	j := &JWKS{}
	j.keys.Store(snap)
	return j, nil
}

// LoadStaticJWKS reads a JWKS document from a file (see NewStaticJWKS).
func LoadStaticJWKS(path string) (*JWKS, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load jwks: %w", err)
	}
	j, err := NewStaticJWKS(raw)
	if err != nil {
		return nil, fmt.Errorf("load jwks %s: %w", path, err)
	}
	return j, nil
}

// Ready reports whether keys have been loaded at least once.
func (j *JWKS) Ready() bool { return j.keys.Load() != nil }

// Refresh fetches the remote key set now, sharing a fetch already in flight,
// and returns its error. It is not rate-limited: it is for operators (an
// admin endpoint, a readiness probe), never for request paths. A static set
// returns nil.
func (j *JWKS) Refresh(ctx context.Context) error {
	if j.url == "" {
		return nil
	}
	j.mu.Lock()
	c := j.startFetchLocked()
	j.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Keyfunc implements KeySet. An on-demand fetch it triggers is bounded by
// HTTPTimeout.
func (j *JWKS) Keyfunc(token *jwt.Token) (any, error) {
	return j.KeyfuncCtx(context.Background())(token)
}

// KeyfuncCtx returns a jwt.Keyfunc that stops waiting for an on-demand fetch
// when ctx ends.
//
// A kid not in the set triggers one fetch if none happened on demand within
// UnknownKIDInterval; concurrent callers share that fetch, and callers inside
// the window fail at once. A key is used only for the algorithm family it
// belongs to (RSA for RS/PS, the matching ECDSA curve for ESxxx, Ed25519 for
// EdDSA) and, when the JWK names an alg, only for that alg.
func (j *JWKS) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) {
		alg, _ := token.Header["alg"].(string)
		snap := j.keys.Load()
		if snap == nil {
			return nil, ErrKeysUnavailable
		}
		kidValue, hasKID := token.Header["kid"]
		if !hasKID {
			// No kid: RFC 7515 allows it; try every key that fits the alg.
			var set jwt.VerificationKeySet
			for _, e := range snap.all {
				if keyFits(alg, e) {
					set.Keys = append(set.Keys, e.key)
				}
			}
			if len(set.Keys) == 0 {
				return nil, errNoMatchingKey
			}
			return set, nil
		}
		kid, ok := kidValue.(string)
		if !ok {
			return nil, errUnknownKID
		}
		entries := snap.byKID[kid]
		if len(entries) == 0 && j.refreshOnDemand(ctx) {
			entries = j.keys.Load().byKID[kid]
		}
		if len(entries) == 0 {
			return nil, errUnknownKID
		}
		for _, e := range entries {
			if keyFits(alg, e) {
				return e.key, nil
			}
		}
		return nil, errNoMatchingKey
	}
}

// refreshOnDemand runs or joins a fetch for an unknown kid, unless one was
// started on demand within UnknownKIDInterval. It reports whether a fetch
// completed successfully.
func (j *JWKS) refreshOnDemand(ctx context.Context) bool {
	if j.url == "" {
		return false
	}
	j.mu.Lock()
	c := j.inflight
	if c == nil {
		if !j.lastOnDemand.IsZero() && time.Since(j.lastOnDemand) < j.opts.UnknownKIDInterval {
			j.mu.Unlock()
			return false
		}
		j.lastOnDemand = time.Now()
		c = j.startFetchLocked()
	}
	j.mu.Unlock()
	select {
	case <-c.done:
		return c.err == nil
	case <-ctx.Done():
		return false
	}
}

func (j *JWKS) startFetch() *fetchCall {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.startFetchLocked()
}

// startFetchLocked returns the fetch in flight or starts one. The fetch runs
// on the JWKS's own context, not a request's, so a caller that gives up does
// not cancel it for the others.
func (j *JWKS) startFetchLocked() *fetchCall {
	if j.inflight != nil {
		return j.inflight
	}
	c := &fetchCall{done: make(chan struct{})}
	j.inflight = c
	go func() {
		ctx, cancel := context.WithTimeout(j.ctx, j.opts.HTTPTimeout)
		c.err = j.fetch(ctx)
		cancel()
		if j.opts.OnRefresh != nil {
			j.opts.OnRefresh(c.err)
		}
		if c.err != nil {
			j.logger.Warn("jwks refresh failed; keeping the last good keys", "url", j.url, "loaded", j.Ready(), "err", c.err)
		}
		j.mu.Lock()
		j.inflight = nil
		j.mu.Unlock()
		close(c.done)
	}()
	return c
}

func (j *JWKS) refreshLoop(last *fetchCall) {
	backoff := time.Second
	maxBackoff := min(j.opts.UnknownKIDInterval, j.opts.RefreshInterval)
	select {
	case <-last.done:
	case <-j.ctx.Done():
		return
	}
	for {
		wait := j.opts.RefreshInterval
		if last.err != nil {
			wait = backoff
			backoff = min(backoff*2, max(maxBackoff, time.Second))
		} else {
			backoff = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-j.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		last = j.startFetch()
		select {
		case <-last.done:
		case <-j.ctx.Done():
			return
		}
	}
}

func (j *JWKS) fetch(ctx context.Context) error {
	body, err := getJSON(ctx, j.client, j.url, "application/jwk-set+json, application/json", MaxJWKSBytes)
	if err != nil {
		return fmt.Errorf("fetch jwks %s: %w", j.url, err)
	}
	snap, err := parseJWKS(body, j.logger)
	if err != nil {
		return fmt.Errorf("fetch jwks %s: %w", j.url, err)
	}
	j.keys.Store(snap)
	return nil
}

// isJSONMediaType accepts application/json, application/jwk-set+json and
// any other +json type.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// parseJWKS keeps the public signature keys of a JWKS document. Keys that are
// symmetric, for encryption, malformed, RSA below 2048 bits, or of a type
// that does not fit their own alg are skipped (and logged), because one odd
// key must not take the whole set down; a set left with no usable key is an
// error.
func parseJWKS(raw []byte, logger *slog.Logger) (*keySnapshot, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	if doc.Keys == nil {
		return nil, errJWKSNoKeysList
	}
	snap := &keySnapshot{byKID: make(map[string][]jwkEntry)}
	for i, rawKey := range doc.Keys {
		e, err := parseJWK(rawKey)
		if err != nil {
			if logger != nil {
				logger.Debug("jwks: skipping key", "index", i, "err", err)
			}
			continue
		}
		snap.all = append(snap.all, e)
		snap.byKID[e.kid] = append(snap.byKID[e.kid], e)
	}
	if len(snap.all) == 0 {
		return nil, errJWKSNoKeys
	}
	return snap, nil
}

func parseJWK(raw json.RawMessage) (jwkEntry, error) {
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		return jwkEntry{}, fmt.Errorf("decode jwk: %w", err)
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return jwkEntry{}, fmt.Errorf("jwk use %q is not sig", m.USE)
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return jwkEntry{}, errors.New("jwk key_ops does not include verify")
	}
	switch m.KTY {
	case jwkset.KtyRSA, jwkset.KtyEC, jwkset.KtyOKP:
	default:
		return jwkEntry{}, fmt.Errorf("jwk kty %q is not an asymmetric signature key type", m.KTY)
	}
	// Public parts only: private material in a published JWKS is the
	// publisher's mistake, never something to load.
	m.D, m.P, m.Q, m.DP, m.DQ, m.QI, m.OTH, m.K = "", "", "", "", "", "", nil, ""
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return jwkEntry{}, fmt.Errorf("decode jwk: %w", err)
	}
	var key crypto.PublicKey
	switch k := jwk.Key().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return jwkEntry{}, fmt.Errorf("rsa key of %d bits is below 2048", k.N.BitLen())
		}
		key = k
	case *ecdsa.PublicKey, ed25519.PublicKey:
		key = k
	default:
		return jwkEntry{}, fmt.Errorf("jwk key type %T is not supported", k)
	}
	e := jwkEntry{kid: m.KID, alg: string(m.ALG), key: key}
	if e.alg != "" && !keyFits(e.alg, jwkEntry{key: key}) {
		return jwkEntry{}, fmt.Errorf("jwk alg %q does not fit its key type", e.alg)
	}
	return e, nil
}

// keyFits reports whether key e may verify a token signed with alg: the JWK's
// own alg, when present, must equal it, and the key type must be the one the
// algorithm family uses, so a JWK without alg cannot be pressed into another
// family's service.
func keyFits(alg string, e jwkEntry) bool {
	if e.alg != "" && e.alg != alg {
		return false
	}
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok := e.key.(*rsa.PublicKey)
		return ok
	case "ES256":
		return ecCurve(e.key) == elliptic.P256()
	case "ES384":
		return ecCurve(e.key) == elliptic.P384()
	case "ES512":
		return ecCurve(e.key) == elliptic.P521()
	case "EdDSA":
		_, ok := e.key.(ed25519.PublicKey)
		return ok
	}
	return false
}

func ecCurve(key crypto.PublicKey) elliptic.Curve {
	if k, ok := key.(*ecdsa.PublicKey); ok {
		return k.Curve
	}
	return nil
}
