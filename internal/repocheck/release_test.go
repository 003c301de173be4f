package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// TestReleaseRefusesBadInput runs scripts/release on what it must refuse before building
// anything. A whole release and its dry run are run by integration/docs (TestReleasingPage),
// as docs/releasing.md shows them.
func TestReleaseRefusesBadInput(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	// A clone with one untracked file: a dirty tree.
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", root, clone).CombinedOutput(); err != nil {
		t.Skipf("cloning %s: %v\n%s", root, err, out)
	}
	// The script of this working tree, which may not be committed yet.
	script, err := os.ReadFile(filepath.Join(root, "scripts", "release"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clone, "scripts", "release"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clone, "notes.txt"), []byte("not committed"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A clean clone with this working tree's script committed: the harness module's go.mod
	// requires cnbkit v0.0.0, not the tag.
	clean := filepath.Join(t.TempDir(), "clean")
	if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", root, clean).CombinedOutput(); err != nil {
		t.Skipf("cloning %s: %v\n%s", root, err, out)
	}
	if err := os.WriteFile(filepath.Join(clean, "scripts", "release"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	commit := exec.Command("git", "-C", clean, "-c", "user.name=cnbkit test", "-c", "user.email=test@cnbkit.invalid", "commit", "-q", "--allow-empty", "-am", "the release script under test")
	if out, err := commit.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
	tests := []struct {
		name, dir string
		args      []string
		want      string
	}{
		{"no tag", clone, nil, "usage: scripts/release [--dry-run] vX.Y.Z"},
		{"not a version", clone, []string{"1.2.3"}, "tag 1.2.3 is not a Go module release version"},
		{"build metadata", clone, []string{"v1.2.3+linux"}, "is not a Go module release version"},
		{"leading zero", clone, []string{"v01.2.3"}, "is not a Go module release version"},
		{"dirty tree", clone, []string{"v1.2.3"}, "the working tree has changes (above): commit or stash them"},
		{"harness module requires another cnbkit", clean, []string{"v1.2.3"},
			"integration/go.mod requires github.com/cnbkit/cnbkit v0.0.0, not v1.2.3: the harness module of the release must require it. Run (cd integration && go mod edit -require=github.com/cnbkit/cnbkit@v1.2.3), commit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			clone := tc.dir
			cmd := exec.Command(filepath.Join(clone, "scripts", "release"), tc.args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			g.Expect(err).To(HaveOccurred(), "scripts/release %v must fail:\n%s", tc.args, out.String())
			g.Expect(out.String()).To(ContainSubstring(tc.want))
			tags, _ := exec.Command("git", "-C", clone, "tag").Output()
			g.Expect(string(tags)).To(BeEmpty(), "no tag is made")
			g.Expect(filepath.Join(clone, "dist")).NotTo(BeAnExistingFile())
		})
	}
}
