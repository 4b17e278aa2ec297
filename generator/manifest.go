package generator

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the path of the manifest in a generated project.
const ManifestFile = "mcpgen.yaml"

// Manifest is mcpgen.yaml: the record of what was scaffolded. Later commands (`mcpgen add
// tool`, upgrades) read it to know the project without parsing its Go code. Its schema is
// Spec's (the yaml tags there), after the runtime version; the preset parameters follow
// the scalar settings, each under its Param.YAMLKey.
//
// MCPGen is the version of the mcpgen module (runtime and generator are one module, so
// a released mcpgen's own version) the project was generated or last upgraded with.
// Generated is the record of what mcpgen wrote (see record.go): it comes last, after
// the project's description.
type Manifest struct {
	MCPGen       string `yaml:"mcpgen"` // mcpgen runtime version the project was generated for
	manifestSpec `yaml:",inline"`
	Generated    []RecordedFile `yaml:"generated,omitempty"`
}

// manifestSpec is Spec under a name that does not hide Manifest.Spec.
type manifestSpec = Spec

// manifestFile is the layout of mcpgen.yaml: the keys that are not Spec's are preset
// parameters.
type manifestFile struct {
	Manifest `yaml:",inline"`
	Params   map[string]string `yaml:",inline"`
}

// NewManifest records s.
func NewManifest(s Spec) Manifest {
	return Manifest{MCPGen: s.Runtime.Version, manifestSpec: s}
}

// Spec returns the Spec the project was generated from, with rt as its runtime.
func (m Manifest) Spec(rt RuntimeRef) Spec {
	s := m.manifestSpec
	s.Runtime = rt
	if s.Tools == nil {
		s.Tools = []Tool{} // a project without tools does not get the default one back
	}
	s.declareToolScopes()
	return s
}

// scopeFields are the keys of a scope in mcpgen.yaml.
var scopeFields = []string{"name", "description", "implies", "baseline"}

// UnmarshalYAML reads a scope of mcpgen.yaml. A plain string is the form manifests
// wrote before scopes had settings (`scopes: [profile]`, the extra scopes_supported of
// mcpgen new --scopes): a baseline scope of that name.
func (d *Scope) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*d = Scope{Name: n.Value, Baseline: true}
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i].Value; !slices.Contains(scopeFields, k) {
				return fmt.Errorf("line %d: field %s not found in a scope (use %s)", n.Content[i].Line, k, strings.Join(scopeFields, ", "))
			}
		}
	}
	type plain Scope
	return n.Decode((*plain)(d))
}

// Marshal encodes the manifest as YAML with two-space indentation.
func (m Manifest) Marshal() ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(manifestFile{Manifest: m}); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	// The parameters go after the scalar settings, before the scopes, tools and record.
	var params []*yaml.Node
	for _, q := range manifestParams(m.Provider, m.Params) {
		var key, value yaml.Node
		if err := key.Encode(q.YAMLKey()); err != nil {
			return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
		}
		if err := value.Encode(m.Params[q.Flag]); err != nil {
			return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
		}
		params = append(params, &key, &value)
	}
	at := len(doc.Content)
	for i := len(doc.Content) - 2; i >= 0; i -= 2 {
		if slices.Contains([]string{"scopes", "filter_tools_list", "tools", "generated"}, doc.Content[i].Value) {
			at = i
		}
	}
	doc.Content = slices.Insert(doc.Content, at, params...)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	return buf.Bytes(), nil
}

// manifestParams are the parameters set in params, in the order mcpgen.yaml lists them:
// the provider's own, then those of other presets given as well.
func manifestParams(provider string, params map[string]string) []Param {
	preset, _ := LookupPreset(provider)
	var out []Param
	for _, q := range append(slices.Clone(preset.Params), PresetParams()...) {
		if _, set := params[q.Flag]; set && !slices.ContainsFunc(out, func(o Param) bool { return o.Flag == q.Flag }) {
			out = append(out, q)
		}
	}
	return out
}

// ParseManifest decodes mcpgen.yaml, refusing unknown fields so a typo is not ignored.
func ParseManifest(data []byte) (Manifest, error) {
	var f manifestFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Manifest{}, fmt.Errorf("parse %s: %w", ManifestFile, err)
	}
	m := f.Manifest
	m.Params = nil
	for key, value := range f.Params {
		q, ok := LookupParam(strings.ReplaceAll(key, "_", "-"))
		if !ok || q.YAMLKey() != key {
			return Manifest{}, fmt.Errorf("parse %s: field %s not found in type generator.Manifest", ManifestFile, key)
		}
		m.SetParam(q.Flag, value)
	}
	return m, nil
}
