package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateDir is where `mcpgen dev` keeps its state inside a project. The directory ignores
// itself in git (it holds a private key and a client secret).
const StateDir = ".mcpgen/dev"

// StateFile is the name of the state of the last `mcpgen dev` run inside StateDir.
const StateFile = "state.json"

// State is what `mcpgen dev` was started with, kept so `mcpgen dev token` mints tokens
// the running server accepts, and so the dev client keeps its secret across runs.
type State struct {
	Issuer       string   `json:"issuer"`
	Resource     string   `json:"resource"`
	Scopes       []string `json:"scopes"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
}

// LoadState reads the state in dir. A missing file is fs.ErrNotExist.
func LoadState(dir string) (State, error) {
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("read %s: %w (delete it; mcpgen dev writes a new one)", path, err)
	}
	return s, nil
}

// SaveState writes s to dir.
func SaveState(dir string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode dev state: %w", err)
	}
	return writeState(dir, StateFile, append(data, '\n'))
}

// DevClientID is the client_id of the pre-registered confidential client.
const DevClientID = "mcpgen-dev"

// DevClient returns the pre-registered client, with the secret kept in dir's state, or
// a new random one when there is none yet.
func DevClient(dir string) (Client, error) {
	s, err := LoadState(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Client{}, err
	}
	if s.ClientID == DevClientID && s.ClientSecret != "" {
		return Client{ID: DevClientID, Secret: s.ClientSecret}, nil
	}
	return Client{ID: DevClientID, Secret: randomToken(24)}, nil
}
