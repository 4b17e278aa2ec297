package main

import (
	"context"
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

// issuer is the local authorization server every server under test trusts: one RS256
// key (the algorithm most providers sign access tokens with), its JWKS on loopback,
// and a minting function. It lives in the runner's process so no server waits on a
// network it does not control.
type issuer struct {
	url  string
	key  *rsa.PrivateKey
	kid  string
	srv  *http.Server
	jwks []byte
}

func newIssuer() (*issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	iss := &issuer{key: key, kid: "bench-key-1"}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgRS256, KID: iss.kid, USE: jwkset.UseSig},
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
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
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
