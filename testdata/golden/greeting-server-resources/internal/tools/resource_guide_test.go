package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestReadGuide(t *testing.T) {
	const uri = "docs://guide"
	contents, err := ReadGuide(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
	if err != nil {
		t.Fatalf("ReadGuide: %v", err)
	}
	if len(contents) != 1 {
		t.Fatalf("got %d contents, want 1", len(contents))
	}
	text, ok := contents[0].(mcp.TextResourceContents)
	if !ok {
		t.Fatalf("content is %T, want mcp.TextResourceContents", contents[0])
	}
	if text.URI != uri {
		t.Errorf("URI = %q, want %q", text.URI, uri)
	}
	if want := GuideResource().MIMEType; text.MIMEType != want {
		t.Errorf("MIME type = %q, want %q (as the resource is listed)", text.MIMEType, want)
	}
	for _, want := range []string{"guide"} {
		if !strings.Contains(text.Text, want) {
			t.Errorf("text = %q, want it to contain %q", text.Text, want)
		}
	}
}
