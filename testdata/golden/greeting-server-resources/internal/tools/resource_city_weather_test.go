package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestReadCityWeather(t *testing.T) {
	const uri = "weather://cities/example-city"
	contents, err := ReadCityWeather(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
	if err != nil {
		t.Fatalf("ReadCityWeather: %v", err)
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
	if want := CityWeatherResource().MIMEType; text.MIMEType != want {
		t.Errorf("MIME type = %q, want %q (as the resource is listed)", text.MIMEType, want)
	}
	for _, want := range []string{"city_weather", "city=example-city"} {
		if !strings.Contains(text.Text, want) {
			t.Errorf("text = %q, want it to contain %q", text.Text, want)
		}
	}
}

// TestReadCityWeatherOtherURI checks that a URI the template does not match is an error,
// not an answer about something else.
func TestReadCityWeatherOtherURI(t *testing.T) {
	if _, err := ReadCityWeather(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "mcpgen-test://no/such/resource"}}); err == nil {
		t.Error("ReadCityWeather of a URI outside the template succeeded, want an error")
	}
}
