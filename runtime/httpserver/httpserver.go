// Package httpserver builds the http.Server a generated MCP server listens
// with and runs it until the process is asked to stop.
//
// net/http's zero-value server has no timeouts at all, so one slow client can
// hold a connection (and its goroutine) forever. [New] sets the limits that
// are safe for MCP Streamable HTTP, whose GET (and long POST) responses are
// server-sent event streams that legitimately stay open for minutes: every
// limit bounds how long a client may take to *send*, none bounds how long the
// server may take to *answer*. [Run] and [Serve] add the graceful shutdown a
// container orchestrator expects on SIGTERM: stop accepting, let in-flight
// requests finish within a deadline, then close what is left.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Limits set by [New].
const (
	// ReadHeaderTimeout bounds how long a client may take to send the
	// request line and headers: the slowloris defence. Real clients send
	// headers in one packet; 10s leaves room for bad mobile links.
	ReadHeaderTimeout = 10 * time.Second

	// ReadTimeout bounds reading the whole request, headers and body. MCP
	// POST bodies are JSON-RPC messages, normally a few KiB, so 30s is
	// generous while it stops a client that trickles a body to hold a
	// connection (net/http would otherwise wait forever, even after the
	// handler has returned, to drain a small unread body).
	//
	// It does not cut streams: net/http clears the read deadline once the
	// body has been read (at once for a bodiless GET) and it watches the
	// connection for the client going away, so an SSE stream outlives
	// ReadTimeout. TestReadTimeoutSparesStreams holds net/http to that.
	ReadTimeout = 30 * time.Second

	// WriteTimeout is deliberately 0 (none): it is a deadline for writing the
	// whole response, which would end every SSE stream after that long.
	// Stalled readers are handled per write instead: mcp-go sets a write
	// deadline before each event through http.ResponseController.
	WriteTimeout = 0

	// IdleTimeout closes keep-alive connections idle for this long, so idle
	// clients cannot pin file descriptors.
	IdleTimeout = 120 * time.Second

	// MaxHeaderBytes bounds the request line plus headers. 64 KiB fits any
	// real bearer token (JWTs with many claims run to a few KiB) with room to
	// spare, and is 1/16th of net/http's 1 MiB default.
	MaxHeaderBytes = 64 << 10

	// DefaultShutdownTimeout is a drain deadline that fits within the 30s
	// grace period Kubernetes gives a pod between SIGTERM and SIGKILL.
	DefaultShutdownTimeout = 20 * time.Second
)

// New returns a server for h listening on addr (host:port; ":3002" for all
// interfaces) with the limits above. It is a plain *http.Server: callers may
// adjust fields (TLSConfig, ErrorLog, ...) before running it.
func New(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// Run listens on srv.Addr and serves until ctx is done (typically
// signal.NotifyContext for SIGINT and SIGTERM), then shuts down as [Serve]
// does. A listen failure, such as the port being in use, is returned at once
// with the address in the message.
func Run(ctx context.Context, srv *http.Server, shutdownTimeout time.Duration, logger *slog.Logger) error {
	addr := srv.Addr
	if addr == "" {
		addr = ":http"
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	return Serve(ctx, srv, ln, shutdownTimeout, logger)
}

// servesTLS reports whether srv carries its own certificates: then Serve
// speaks HTTPS (and HTTP/2) on the listener. Certificates come in through
// TLSConfig rather than file names so they can be loaded, and checked, while
// the configuration is read at start-up.
func servesTLS(srv *http.Server) bool {
	c := srv.TLSConfig
	return c != nil && (len(c.Certificates) > 0 || c.GetCertificate != nil || c.GetConfigForClient != nil)
}

// listenError names the address once (net's own message repeats it) and
// says what to do about the common case.
func listenError(addr string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		err = opErr.Err
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: %w: another process is using this port; stop it or choose another port", addr, err)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}

// Serve serves srv on ln until ctx is done, then shuts down gracefully: the
// listener closes at once (new connections are refused), idle connections
// close, and in-flight requests get shutdownTimeout (<= 0 means
// [DefaultShutdownTimeout]) to finish. It returns nil after a clean drain.
// If requests are still running at the deadline, their connections are
// closed (which cancels their contexts) and an error saying so is returned.
//
// Shutdown waits for long-lived event streams like any request: a
// 2025-11-25 MCP client holds a GET stream open per session, so register the
// MCP handler's own shutdown before running, or every stop runs into the
// deadline:
//
//	srv.RegisterOnShutdown(func() { mcpHandler.CloseSessions(context.Background()) })
//
// A serve failure is returned as it happens. Serve takes ownership of ln.
// Tests use it with a 127.0.0.1:0 listener.
//
// When srv.TLSConfig holds certificates (Certificates, GetCertificate or
// GetConfigForClient), Serve speaks TLS, with HTTP/2 offered as net/http
// does by default; otherwise plain HTTP/1.1.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	if shutdownTimeout <= 0 {
		shutdownTimeout = DefaultShutdownTimeout
	}
	addr := ln.Addr().String()
	tls := servesTLS(srv)
	serveErr := make(chan error, 1)
	go func() {
		if tls {
			serveErr <- srv.ServeTLS(ln, "", "")
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	logger.Info("listening", slog.String("addr", addr), slog.Bool("tls", tls))

	select {
	case err := <-serveErr:
		// Serve only returns early on a listener failure, or because
		// someone else shut srv down.
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", slog.String("addr", addr), slog.Duration("timeout", shutdownTimeout))
	// ctx is already done: the drain needs a context of its own.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(drainCtx)
	<-serveErr // returns ErrServerClosed as soon as Shutdown starts
	if err != nil {
		closeErr := srv.Close()
		logger.Warn("shutdown deadline passed; closed remaining connections",
			slog.String("addr", addr), slog.Duration("timeout", shutdownTimeout))
		return errors.Join(fmt.Errorf("shutdown of %s: requests still running after %s were cut off: %w", addr, shutdownTimeout, err), closeErr)
	}
	logger.Info("stopped", slog.String("addr", addr))
	return nil
}
