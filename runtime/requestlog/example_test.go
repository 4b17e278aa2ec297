package requestlog_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

func ExampleAnnotate() {
	// Drop the fields that change on every run, so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, requestlog.KeyDuration, requestlog.KeyRequestID:
				return slog.Attr{}
			}
			return a
		},
	}))
	tool := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An inner handler (auth, a tool) adds what only it knows.
		requestlog.Annotate(r.Context(), slog.String("subject", "user-123"), slog.String("tool", "greet_user"))
		w.Write([]byte("hi"))
	})
	h := requestlog.Middleware(logger)(tool)

	req := httptest.NewRequest("POST", "/mcp?access_token=never-logged", nil)
	req.Header.Set("Authorization", "Bearer never-logged")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// level=INFO msg="http request" method=POST path=/mcp status=200 bytes=2 subject=user-123 tool=greet_user
}
