package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxBodyBytes is the request body limit generated servers start
// with: MCP POST bodies are JSON-RPC messages of a few KiB; 4 MiB leaves room
// for large tool arguments. It matches auth.DefaultMaxBodyBytes.
const DefaultMaxBodyBytes = 4 << 20

// tooLargeBody is fixed, JSON like every other error of the chain.
const tooLargeBody = `{"error":"request_too_large","error_description":"the request body is larger than this server accepts"}` + "\n"

// LimitBody returns middleware that refuses, with 413 and a JSON body, a
// request whose Content-Length exceeds max bytes, before any other layer
// (authentication included) spends work on it, and caps the body of every
// other request at max+1 bytes. The extra byte lets a handler that reads up
// to max+1, as the auth middleware does with the same limit, tell "too
// large" (its own 413) from a broken body; beyond it, reads fail and the
// connection is closed after the response. max <= 0 means
// DefaultMaxBodyBytes.
func LimitBody(max int64) func(http.Handler) http.Handler {
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				h := w.Header()
				h.Set("Content-Type", "application/json")
				h.Set("X-Content-Type-Options", "nosniff")
				h.Set("Cache-Control", "no-store")
				h.Set("Connection", "close") // the unread body is not drained
				h.Set("Content-Length", strconv.Itoa(len(tooLargeBody)))
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				_, _ = w.Write([]byte(tooLargeBody))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max+1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// LoadTLS reads a PEM certificate chain and its private key (TLS_CERT_FILE
// and TLS_KEY_FILE in generated servers) and returns a server TLS
// configuration for [Serve]: TLS 1.2 at least, Go's default cipher suites.
// Errors name the files and never include key material.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// RunAll runs several servers (the MCP listener and the metrics listener,
// say) with [Run] until ctx is done, then shuts them all down. If one fails
// to listen or serve, the others are shut down too and the error is
// returned, so a process never keeps running half of its listeners.
func RunAll(ctx context.Context, shutdownTimeout time.Duration, logger *slog.Logger, servers ...*http.Server) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, srv := range servers {
		wg.Go(func() {
			errs[i] = Run(ctx, srv, shutdownTimeout, logger)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
