package health

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

type probe struct {
	method     string
	wantStatus int
	wantBody   string
}

func runProbes(t *testing.T, h http.Handler, probes []probe) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range probes {
		req, err := http.NewRequest(p.method, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p.method, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != p.wantStatus {
			t.Errorf("%s: status %d, want %d", p.method, resp.StatusCode, p.wantStatus)
		}
		if string(body) != p.wantBody {
			t.Errorf("%s: body %q, want %q", p.method, body, p.wantBody)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: Content-Type %q", p.method, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", p.method, got)
		}
		if p.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow %q", p.method, resp.Header.Get("Allow"))
		}
	}
}

func TestHandler(t *testing.T) {
	runProbes(t, Handler(), []probe{
		{http.MethodGet, 200, `{"status":"healthy"}`},
		{http.MethodHead, 200, ``},
		{http.MethodPost, 405, `{"error":"method_not_allowed"}`},
		{http.MethodDelete, 405, `{"error":"method_not_allowed"}`},
	})
}

func TestHeadCarriesLength(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != int64(len(`{"status":"healthy"}`)) {
		t.Errorf("HEAD Content-Length %d", resp.ContentLength)
	}
}

func TestReady(t *testing.T) {
	var ready atomic.Bool
	h := Ready(ready.Load)
	runProbes(t, h, []probe{
		{http.MethodGet, 503, `{"status":"not ready"}`},
		{http.MethodHead, 503, ``},
		{http.MethodPost, 405, `{"error":"method_not_allowed"}`},
	})
	ready.Store(true)
	runProbes(t, h, []probe{
		{http.MethodGet, 200, `{"status":"ready"}`},
		{http.MethodHead, 200, ``},
	})
	ready.Store(false)
	runProbes(t, h, []probe{{http.MethodGet, 503, `{"status":"not ready"}`}})
}

func TestReadyFailsClosed(t *testing.T) {
	for name, check := range map[string]func() bool{
		"nil":    nil,
		"panics": func() bool { panic("boom") },
	} {
		t.Run(name, func(t *testing.T) {
			runProbes(t, Ready(check), []probe{{http.MethodGet, 503, `{"status":"not ready"}`}})
		})
	}
}
