package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey is one private key and the algorithm it signs with.
type signingKey struct {
	alg    string
	family string // pool key: keys of one family are interchangeable
	signer crypto.Signer
}

func (k *signingKey) public() crypto.PublicKey { return k.signer.Public() }

// keyPools hands out private keys by family. RSA key generation takes tens
// of milliseconds, so a key returned by an Issuer that was cleaned up is
// reused by the next one; keys are leased, never shared, so two issuers alive
// at the same time always have different keys (tests of "a token from
// another issuer" or "a kid of another key" stay meaningful).
var keyPools = struct {
	sync.Mutex
	free map[string][]crypto.Signer
}{free: make(map[string][]crypto.Signer)}

func familyOf(alg string) (string, error) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return "RSA-2048", nil
	case "ES256":
		return "P-256", nil
	case "ES384":
		return "P-384", nil
	case "ES512":
		return "P-521", nil
	case "EdDSA":
		return "Ed25519", nil
	}
	return "", fmt.Errorf("authtest: unsupported algorithm %q (want RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA)", alg)
}

func signingMethod(alg string) jwt.SigningMethod {
	return jwt.GetSigningMethod(alg)
}

func leaseKey(alg string) (*signingKey, error) {
	family, err := familyOf(alg)
	if err != nil {
		return nil, err
	}
	keyPools.Lock()
	if free := keyPools.free[family]; len(free) > 0 {
		s := free[len(free)-1]
		keyPools.free[family] = free[:len(free)-1]
		keyPools.Unlock()
		return &signingKey{alg: alg, family: family, signer: s}, nil
	}
	keyPools.Unlock()
	var s crypto.Signer
	switch family {
	case "RSA-2048":
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case "P-256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		s, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "P-521":
		s, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "Ed25519":
		_, s, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("authtest: generate %s key: %w", family, err)
	}
	return &signingKey{alg: alg, family: family, signer: s}, nil
}

func releaseKey(k *signingKey) {
	keyPools.Lock()
	defer keyPools.Unlock()
	keyPools.free[k.family] = append(keyPools.free[k.family], k.signer)
}
