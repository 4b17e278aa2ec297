package httpserver

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLimitBody(t *testing.T) {
	const max = 1024
	var readErr error
	var read int
	srv := httptest.NewServer(LimitBody(max)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read, readErr = len(b), err
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()

	t.Run("declared too large", func(t *testing.T) {
		res, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", max+1)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(string(body), `"request_too_large"`) {
			t.Errorf("got %d %q %s, want 413 with a JSON error", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})
	t.Run("at the limit", func(t *testing.T) {
		res, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", max)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || readErr != nil || read != max {
			t.Errorf("got %d, handler read %d bytes (err %v); want 200 and the whole body", res.StatusCode, read, readErr)
		}
	})
	t.Run("chunked, undeclared length", func(t *testing.T) {
		// No Content-Length: the cap applies while the handler reads.
		res, err := http.Post(srv.URL, "application/json", io.MultiReader(strings.NewReader(strings.Repeat("x", 10*max))))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var mbe *http.MaxBytesError
		if !errors.As(readErr, &mbe) || read != max+1 {
			t.Errorf("handler read %d bytes, err %v; want max+1 bytes then *http.MaxBytesError", read, readErr)
		}
	})
}

func TestLoadTLS(t *testing.T) {
	cert, client := testCert(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", cert[0].Certificate[0])
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)

	cfg, err := LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	body, res := serveOneTLS(t, cfg, client, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "secure") }))
	if body != "secure" || res.TLS == nil {
		t.Errorf("got %q over TLS=%v", body, res.TLS != nil)
	}

	// Swapped files: the error names both files and holds no PEM.
	_, err = LoadTLS(keyFile, certFile)
	if err == nil || !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), certFile) || strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("LoadTLS with swapped files: %v", err)
	}
	if _, err := LoadTLS(filepath.Join(dir, "missing.crt"), keyFile); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("LoadTLS with a missing file: %v", err)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRunAllStopsTogether: when one listener cannot start, RunAll shuts the
// others down and reports the failure, instead of a server running without
// its metrics (or the reverse).
func TestRunAllStopsTogether(t *testing.T) {
	busy := listen(t)
	defer busy.Close()
	ok := New("127.0.0.1:0", http.NotFoundHandler())
	clash := New(busy.Addr().String(), http.NotFoundHandler())
	done := make(chan error, 1)
	go func() { done <- RunAll(context.Background(), time.Second, quietLogger(), ok, clash) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
			t.Errorf("RunAll = %v, want the listen error naming %s", err, busy.Addr())
		}
	case <-time.After(30 * time.Second): // guards a hang only
		t.Fatal("RunAll kept running after a listener failed")
	}
}
