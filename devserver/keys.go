package devserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/MicahParks/jwkset"
)

// Algorithm is the JWS algorithm of every token the dev server signs. ES256 keys are
// generated in microseconds (an RSA key takes tens of milliseconds) and every
// validator in the runtime's allow-list accepts it.
const Algorithm = "ES256"

// KeyFile is the name of the signing key inside the state directory.
const KeyFile = "signing-key.pem"

// Key is the dev server's signing key and the kid it is published under.
type Key struct {
	ID     string
	Signer crypto.Signer
}

// NewKey generates a fresh P-256 signing key.
func NewKey() (Key, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generate signing key: %w", err)
	}
	return keyFor(k)
}

// keyFor derives the kid from the public key, so a key read back from disk keeps its
// kid and tokens minted by `mcpgen dev token` verify against the running server's JWKS.
func keyFor(s crypto.Signer) (Key, error) {
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return Key{}, fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return Key{ID: "mcpgen-dev-" + hex.EncodeToString(sum[:8]), Signer: s}, nil
}

// LoadOrCreateKey reads the signing key from dir/signing-key.pem, creating dir and a new
// key when there is none. The key is kept so tokens stay valid across restarts of
// `mcpgen dev` and so `mcpgen dev token` can mint without asking the running server.
func LoadOrCreateKey(dir string) (Key, error) {
	if k, err := LoadKey(dir); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err := NewKey()
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return Key{}, fmt.Errorf("encode dev signing key: %w", err)
	}
	if err := writeState(dir, KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return Key{}, err
	}
	return k, nil
}

// LoadKey reads the signing key an earlier LoadOrCreateKey wrote to dir.
func LoadKey(dir string) (Key, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("read dev signing key %s: %w", path, err)
	}
	return parseKey(path, data)
}

func parseKey(path string, data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return Key{}, fmt.Errorf("dev signing key %s is not a PEM private key: delete it and a new one is made", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("dev signing key %s: %w (delete it and a new one is made)", path, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return Key{}, fmt.Errorf("dev signing key %s is not a P-256 key: delete it and a new one is made", path)
	}
	return keyFor(ec)
}

// JWKS returns the JSON Web Key Set publishing k's public key.
func (k Key) JWKS() ([]byte, error) {
	jwk, err := jwkset.NewJWKFromKey(k.Signer.Public(), jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.ALG(Algorithm), KID: k.ID, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, fmt.Errorf("build jwk: %w", err)
	}
	return json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
}

// writeState writes name under dir atomically with owner-only permissions, creating dir
// with a .gitignore that ignores everything in it: the directory holds a private key and
// client secrets, which must never be committed.
func writeState(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create dev state directory %s: %w", dir, err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("# mcpgen dev state: private keys and client secrets, never commit\n*\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", ignore, err)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
