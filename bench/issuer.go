package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// issuer is the local authorization server every server under test trusts: one key
// (RS256 by default, the algorithm most providers sign access tokens with; -alg ES256
// or EdDSA), its JWKS on loopback, and a minting function. It lives in the runner's
// process so no server waits on a network it does not control.
type issuer struct {
	url    string
	alg    string
	method jwt.SigningMethod
	key    crypto.Signer
	kid    string
	srv    *http.Server
	jwks   []byte
}

// algorithms are the -alg values: the signing method and a fresh key of each.
var algorithms = map[string]func() (jwt.SigningMethod, crypto.Signer, error){
	"RS256": func() (jwt.SigningMethod, crypto.Signer, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		return jwt.SigningMethodRS256, k, err
	},
	"ES256": func() (jwt.SigningMethod, crypto.Signer, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return jwt.SigningMethodES256, k, err
	},
	"EdDSA": func() (jwt.SigningMethod, crypto.Signer, error) {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return jwt.SigningMethodEdDSA, k, err
	},
}

func newIssuer(alg string) (*issuer, error) {
	gen, ok := algorithms[alg]
	if !ok {
		return nil, fmt.Errorf("-alg %q: want RS256, ES256 or EdDSA", alg)
	}
	method, key, err := gen()
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	iss := &issuer{alg: alg, method: method, key: key, kid: "bench-key-1"}
	jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.ALG(alg), KID: iss.kid, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, fmt.Errorf("issuer jwk: %w", err)
	}
	if iss.jwks, err = json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}}); err != nil {
		return nil, fmt.Errorf("issuer jwks: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("issuer listen: %w", err)
	}
	iss.url = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(iss.jwks)
	})
	iss.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = iss.srv.Serve(ln) }()
	return iss, nil
}

func (i *issuer) jwksURL() string { return i.url + "/jwks" }

func (i *issuer) close() { _ = i.srv.Shutdown(context.Background()) }

// mint signs an access token for audience with scope usr:read, valid for an hour. jti
// makes otherwise identical tokens distinct; the subject is the same for all, as one
// user's client refreshing its token would be.
func (i *issuer) mint(audience string, jti int) (string, error) {
	now := time.Now()
	tok := jwt.NewWithClaims(i.method, jwt.MapClaims{
		"iss":       i.url,
		"aud":       audience,
		"sub":       "bench-user",
		"client_id": "bench-client",
		"scope":     "usr:read",
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"jti":       fmt.Sprint("bench-", jti),
	})
	tok.Header["kid"] = i.kid
	tok.Header["typ"] = "at+jwt"
	return tok.SignedString(i.key)
}

// mintMany signs n distinct tokens on every core (RS256 signing is ~1 ms each).
func (i *issuer) mintMany(audience string, n int) ([]string, error) {
	out := make([]string, n)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := range runtime.NumCPU() {
		wg.Go(func() {
			for j := w; j < n; j += runtime.NumCPU() {
				t, err := i.mint(audience, j)
				if err != nil {
					errs <- err
					return
				}
				out[j] = t
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("mint tokens: %w", err)
	}
	return out, nil
}
