package spec

import (
	"bytes"
	"fmt"

	"github.com/BurntSushi/toml"
)

// Configuration is one [[metadata.configurations]] entry of buildpack.toml: an environment
// variable the buildpack reads, its default and where it applies. The layout is the one
// libpak-based buildpacks use, so existing descriptors keep working.
type Configuration struct {
	Name        string `toml:"name"`
	Default     string `toml:"default,omitempty"`
	Description string `toml:"description,omitempty"`
	Build       bool   `toml:"build,omitempty"`
	Launch      bool   `toml:"launch,omitempty"`
}

// Configurations decodes [[metadata.configurations]]. Unknown keys and values of the wrong
// type are errors naming the entry and the key; entries without a name or declared twice are
// errors too. A descriptor without configurations returns nil, nil.
func (b Buildpack) Configurations() ([]Configuration, error) {
	raw, ok := b.Metadata["configurations"]
	if !ok {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"configurations": raw}); err != nil {
		return nil, fmt.Errorf("%s [[metadata.configurations]]: %w", BuildpackFile, err)
	}
	var doc struct {
		Configurations []Configuration `toml:"configurations"`
	}
	md, err := toml.Decode(buf.String(), &doc)
	if err != nil {
		return nil, fmt.Errorf("%s [[metadata.configurations]] must be a list of tables with name, default, description, build and launch: %w", BuildpackFile, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		keys := make([]string, len(u))
		for i, k := range u {
			keys[i] = "metadata." + k.String()
		}
		return nil, &UnknownKeysError{File: BuildpackFile, Keys: keys}
	}
	seen := map[string]bool{}
	for i, c := range doc.Configurations {
		if c.Name == "" {
			return nil, fmt.Errorf("%s [[metadata.configurations]] entry %d has no name: set name = \"BP_...\"", BuildpackFile, i+1)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%s [[metadata.configurations]] declares %s twice: keep one entry", BuildpackFile, c.Name)
		}
		seen[c.Name] = true
	}
	return doc.Configurations, nil
}
