package scenarios

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed library/*.yaml
var library embed.FS

// Names returns the names of the embedded scenarios, sorted.
func Names() []string {
	entries, _ := library.ReadDir("library")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Source returns the YAML text of the embedded scenario called name.
func Source(name string) ([]byte, error) {
	data, err := library.ReadFile("library/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("scenarios: no embedded scenario %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return data, nil
}

// Embedded parses the embedded scenario called name.
func Embedded(name string) (*Scenario, error) {
	data, err := Source(name)
	if err != nil {
		return nil, err
	}
	return Parse("embedded:"+name+".yaml", data)
}

// Default is the scenario commands use when none is given.
const Default = "seed-eu-identity"
