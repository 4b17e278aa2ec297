package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Resources and prompts live in package tools, next to the tools, in files named
// resource_<name>.go and prompt_<name>.go: the generated registry binds every handler
// of this one package, and the prefix keeps them apart from the tools on disk.

// CityWeatherResource describes the resource template city_weather to clients: every URI
// that matches weather://cities/{city} is read by ReadCityWeather.
func CityWeatherResource() mcp.ResourceTemplate {
	return mcp.NewResourceTemplate("weather://cities/{city}", "city_weather",
		mcp.WithTemplateDescription("Current weather of a city."),
		mcp.WithTemplateMIMEType("application/json"),
	)
}

// ReadCityWeather reads one URI of city_weather. Only callers whose token carries the
// template's scopes in tools.Policy get here: the auth middleware checks them first.
// Replace the placeholder below with the resource's content; the template's variables
// are read back from the URI.
func ReadCityWeather(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	tmpl := CityWeatherResource().URITemplate
	vars := tmpl.Match(req.Params.URI)
	if vars == nil {
		return nil, fmt.Errorf("%s does not match %s", req.Params.URI, tmpl.Raw())
	}
	var read []string
	for _, name := range tmpl.Varnames() {
		read = append(read, name+"="+strings.Join(vars.Get(name).V, ","))
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{
		URI:      req.Params.URI,
		MIMEType: "application/json",
		Text:     "city_weather is not written yet (read with " + strings.Join(read, ", ") + ")",
	}}, nil
}
