// Package config loads the server's settings from the environment, plus an optional .env
// file for local development (real environment variables win), and checks all of them
// at once: a bad deployment stops at start with one message listing every problem.
//
// The settings every mcpgen server reads, and the rules they must meet, belong to the
// mcpgen runtime (runtime/settings): README.md lists them. Add your own to Config and
// read them in FromEnv, so their problems are reported with the others.
package config

import (
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// Provider is the identity provider this server was generated for: how its access
// tokens look and where its keys are.
var Provider = provider.Scalekit

// Defaults were chosen when the project was generated. The environment overrides each.
var Defaults = settings.Defaults{
	Port:        3002,
	ResourceURL: "http://localhost:3002/mcp",
	Issuer:      "https://example.scalekit.dev",
	JWKSURL:     "https://example.scalekit.dev/keys",
}

// Config is the validated configuration of the server.
type Config struct {
	settings.Settings
}

// Load reads the configuration from the environment and the .env file at dotenvPath
// (missing is fine).
func Load(dotenvPath string) (Config, error) {
	env, err := envconfig.Load(dotenvPath)
	if err != nil {
		return Config{}, fmt.Errorf("load settings: %w", err)
	}
	return FromEnv(env)
}

// FromEnv reads every setting from env and returns an error listing every problem found.
func FromEnv(env *envconfig.Env) (Config, error) {
	cfg := Config{Settings: settings.Read(env, Provider, Defaults)}
	if err := env.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
