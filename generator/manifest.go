package generator

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the path of the manifest in a generated project.
const ManifestFile = "mcpgen.yaml"

// Manifest is mcpgen.yaml: the record of what was scaffolded. Later commands (`mcpgen add
// tool`, upgrades) read it to know the project without parsing its Go code.
type Manifest struct {
	MCPGen   string   `yaml:"mcpgen"` // mcpgen runtime version the project was generated for
	Name     string   `yaml:"name"`
	Module   string   `yaml:"module"`
	Provider string   `yaml:"provider"`
	Issuer   string   `yaml:"issuer"`
	JWKSURL  string   `yaml:"jwks_url,omitempty"`
	Resource string   `yaml:"resource"`
	Port     int      `yaml:"port"`
	Scopes   []string `yaml:"scopes,omitempty"` // extra scopes_supported
	// Values of the provider preset (Spec.Tenant ...), so the project can be rendered again.
	Tenant   string         `yaml:"tenant,omitempty"`
	Domain   string         `yaml:"domain,omitempty"`
	Realm    string         `yaml:"realm,omitempty"`
	Region   string         `yaml:"region,omitempty"`
	UserPool string         `yaml:"user_pool,omitempty"`
	ClientID string         `yaml:"client_id,omitempty"`
	Tools    []ManifestTool `yaml:"tools"`
}

// ManifestTool records one tool and the scopes it requires.
type ManifestTool struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description,omitempty"`
	Scopes      []string      `yaml:"scopes,omitempty"`
	Args        []ManifestArg `yaml:"args,omitempty"`
	ReadOnly    bool          `yaml:"read_only,omitempty"`
	Destructive bool          `yaml:"destructive,omitempty"`
}

// ManifestArg records one tool argument.
type ManifestArg struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	Description string `yaml:"description,omitempty"`
	Required    bool   `yaml:"required,omitempty"`
}

// NewManifest records s.
func NewManifest(s Spec) Manifest {
	m := Manifest{
		MCPGen:   s.Runtime.Version,
		Name:     s.Name,
		Module:   s.Module,
		Provider: s.Provider,
		Issuer:   s.Issuer,
		JWKSURL:  s.JWKSURL,
		Resource: s.ResourceURL,
		Port:     s.Port,
		Scopes:   s.Scopes,
		Tenant:   s.Tenant,
		Domain:   s.Domain,
		Realm:    s.Realm,
		Region:   s.Region,
		UserPool: s.UserPool,
		ClientID: s.ClientID,
	}
	for _, t := range s.Tools {
		mt := ManifestTool{
			Name: t.Name, Description: t.Description, Scopes: t.Scopes,
			ReadOnly: t.ReadOnly, Destructive: t.Destructive,
		}
		for _, a := range t.Args {
			mt.Args = append(mt.Args, ManifestArg(a))
		}
		m.Tools = append(m.Tools, mt)
	}
	return m
}

// Spec rebuilds the Spec the project was generated from, with rt as its runtime.
func (m Manifest) Spec(rt RuntimeRef) Spec {
	s := Spec{
		Name: m.Name, Module: m.Module, Provider: m.Provider, Issuer: m.Issuer,
		JWKSURL: m.JWKSURL, ResourceURL: m.Resource, Scopes: m.Scopes, Port: m.Port,
		Runtime: rt, Tools: []Tool{},
		Tenant: m.Tenant, Domain: m.Domain, Realm: m.Realm, Region: m.Region,
		UserPool: m.UserPool, ClientID: m.ClientID,
	}
	for _, mt := range m.Tools {
		t := Tool{
			Name: mt.Name, Description: mt.Description, Scopes: mt.Scopes,
			ReadOnly: mt.ReadOnly, Destructive: mt.Destructive,
		}
		for _, a := range mt.Args {
			t.Args = append(t.Args, Arg(a))
		}
		s.Tools = append(s.Tools, t)
	}
	return s
}

// Marshal encodes the manifest as YAML with two-space indentation.
func (m Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	return buf.Bytes(), nil
}

// ParseManifest decodes mcpgen.yaml, refusing unknown fields so a typo is not ignored.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("parse %s: %w", ManifestFile, err)
	}
	return m, nil
}
