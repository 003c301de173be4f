package cnb

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBindingsSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	platform := filepath.Join(root, "platform")
	writeFile(t, filepath.Join(platform, "bindings", "zeta", "type"), "mysql")
	writeFile(t, filepath.Join(platform, "bindings", "alpha", "type"), "postgres")
	writeFile(t, filepath.Join(platform, "bindings", "alpha", "provider"), "acme")
	writeFile(t, filepath.Join(platform, "bindings", "alpha", "password"), "pw")
	writeFile(t, filepath.Join(platform, "bindings", ".hidden", "type"), "x")
	sbr := filepath.Join(root, "sbr")
	writeFile(t, filepath.Join(sbr, "only", "type"), "redis")
	vcapFile := filepath.Join(root, "vcap.json")
	writeFile(t, vcapFile, `{"p":[{"name":"fromfile","label":"mongo","credentials":{}}]}`)

	tests := []struct {
		name     string
		env      map[string]string
		platform string
		want     []string // name:type
	}{
		{"platform bindings, sorted, hidden skipped", nil, platform, []string{"alpha:postgres", "zeta:mysql"}},
		{"SERVICE_BINDING_ROOT first", map[string]string{"SERVICE_BINDING_ROOT": sbr}, platform, []string{"only:redis"}},
		{"VCAP_SERVICES", map[string]string{"VCAP_SERVICES": `{"p":[{"name":"b","label":"l","credentials":{"k":"v"}},{"name":"a","label":"l","credentials":{}}]}`}, root, []string{"a:l", "b:l"}},
		{"VCAP_SERVICES_FILE_PATH", map[string]string{"VCAP_SERVICES_FILE_PATH": vcapFile}, root, []string{"fromfile:mongo"}},
		{"none", nil, root, nil},
		{"no platform dir", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			bs, err := Bindings(tt.env, tt.platform)
			g.Expect(err).NotTo(HaveOccurred())
			var got []string
			for _, b := range bs {
				got = append(got, b.Name+":"+b.Type)
			}
			g.Expect(got).To(Equal(tt.want))
		})
	}
	t.Run("secrets and paths", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		bs, err := Bindings(nil, platform)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(bs[0]).To(Equal(Binding{Name: "alpha", Type: "postgres", Provider: "acme",
			Path: filepath.Join(platform, "bindings", "alpha"), Secret: map[string]string{"password": "pw"}}))
	})
	t.Run("bad VCAP_SERVICES", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		_, err := Bindings(map[string]string{"VCAP_SERVICES": "{"}, "")
		g.Expect(err).To(MatchError(ContainSubstring("reading service bindings from $VCAP_SERVICES")))
		g.Expect(err.Error()).NotTo(ContainSubstring("\n"))
	})
}

func TestEnvFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	files, err := EnvFiles([]EnvOp{
		{Name: "PATH", Action: "prepend", Delim: ":", Value: "/a"},
		{Name: "PATH", Action: "prepend", Delim: ":", Value: "/b"},
		{Name: "JAVA_OPTS", Action: "append", Delim: " ", Value: "-X"},
		{Name: "HOME", Action: "override", Value: "/h"},
		{Name: "LANG", Action: "default", Value: "C"},
		{Process: "web", Name: "PORT", Action: "default", Value: "8080"},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(Equal(map[string]string{
		"PATH.prepend": "/b", "PATH.delim": ":",
		"JAVA_OPTS.append": "-X", "JAVA_OPTS.delim": " ",
		"HOME.override": "/h", "LANG.default": "C", "web/PORT.default": "8080",
	}))
	for _, bad := range []EnvOp{
		{Name: "", Action: "override"}, {Name: "A/B", Action: "override"}, {Name: "A=B", Action: "default"},
		{Name: "A", Action: "replace"}, {Process: "../x", Name: "A", Action: "override"},
	} {
		_, err := EnvFiles([]EnvOp{bad})
		g.Expect(err).To(HaveOccurred(), "%+v", bad)
	}

	dir := filepath.Join(t.TempDir(), "env.launch")
	g.Expect(WriteEnvDir(dir, files)).To(Succeed())
	data, err := os.ReadFile(filepath.Join(dir, "web", "PORT.default"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal("8080"))
	entries, _ := os.ReadDir(dir)
	g.Expect(entries).To(HaveLen(7), "six files and the web directory, no temporary files left")
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	g.Expect(WriteFileAtomic(path, []byte("one"), 0o600)).To(Succeed())
	g.Expect(WriteFileAtomic(path, []byte("two"), 0o755)).To(Succeed())
	data, _ := os.ReadFile(path)
	g.Expect(string(data)).To(Equal("two"))
	fi, _ := os.Stat(path)
	g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o755)))
	err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o644)
	g.Expect(err).To(MatchError(ContainSubstring("writing " + filepath.Join(dir, "missing", "f"))))
	entries, _ := os.ReadDir(dir)
	g.Expect(entries).To(HaveLen(1))
}
