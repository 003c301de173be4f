package cnb

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/buildpacks/libcnb/v2"
)

// Binding is a service binding as plain data.
type Binding struct {
	Name     string
	Type     string
	Provider string
	Path     string
	Secret   map[string]string
}

// Bindings reads the service bindings the platform offers, in the order libcnb documents but
// from env instead of the process environment: $SERVICE_BINDING_ROOT, then
// <platformDir>/bindings, then $VCAP_SERVICES, then the file named by $VCAP_SERVICES_FILE_PATH.
// The result is sorted by name so that it does not depend on map or directory order.
func Bindings(env map[string]string, platformDir string) ([]Binding, error) {
	var (
		bs     libcnb.Bindings
		err    error
		source string
	)
	switch {
	case env[libcnb.EnvServiceBindings] != "":
		source = env[libcnb.EnvServiceBindings]
		bs, err = libcnb.NewBindingsFromPath(source)
	case platformDir != "" && dirExists(filepath.Join(platformDir, "bindings")):
		source = filepath.Join(platformDir, "bindings")
		bs, err = libcnb.NewBindingsFromPath(source)
	case env[libcnb.EnvVcapServices] != "":
		source = "$" + libcnb.EnvVcapServices
		bs, err = libcnb.NewBindingsFromVcapServicesEnv(env[libcnb.EnvVcapServices])
	case env[libcnb.EnvVcapServicesFilePath] != "":
		source = env[libcnb.EnvVcapServicesFilePath]
		bs, err = libcnb.NewBindingsFromVcapServicesFilePathEnv(source)
	default:
		return nil, nil
	}
	if err != nil {
		// libcnb's messages contain newlines; keep only the cause's text on one line.
		return nil, fmt.Errorf("reading service bindings from %s: %s", source, oneLine(err.Error()))
	}
	out := make([]Binding, 0, len(bs))
	for _, b := range bs {
		secret := make(map[string]string, len(b.Secret))
		for k, v := range b.Secret {
			secret[k] = v
		}
		out = append(out, Binding{Name: b.Name, Type: b.Type, Provider: b.Provider, Path: b.Path, Secret: secret})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
