package python

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// fetchAndExtract downloads dep (http, https or file URI), checks its sha256 and extracts the
// .tar.gz into dir, dropping dep.StripComponents leading path components.
func fetchAndExtract(ctx context.Context, req sdk.BuildRequest[sdk.None, Config], dep dependency.Dependency, dir string) error {
	u, err := url.Parse(dep.URI)
	if err != nil {
		return fmt.Errorf("reading the uri of %s: %w", dep, err)
	}
	var body io.ReadCloser
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			return fmt.Errorf("opening %s: %w", dep, err)
		}
		body = f
	case "http", "https":
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, dep.URI, nil)
		if err != nil {
			return fmt.Errorf("downloading %s: %w", dep, err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return fmt.Errorf("downloading %s: %w", dep, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("downloading %s: %s", dep, resp.Status)
		}
		body = resp.Body
	default:
		return fmt.Errorf("downloading %s: unsupported uri scheme %q", dep, u.Scheme)
	}
	defer body.Close()
	tmp, err := os.CreateTemp("", "cpython-*.tgz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), body); err != nil {
		return fmt.Errorf("downloading %s: %w", dep, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != dep.SHA256 {
		return &sdk.Error{Title: "CPython download is corrupt", Detail: fmt.Sprintf("%s has sha256 %s, expected %s", dep.URI, got, dep.SHA256),
			Fixes: []string{"Retry the build; if it fails again, the file at that location is not the one the buildpack lists."}}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, err := gzip.NewReader(tmp)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", dep, err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("extracting %s: %w", dep, err)
		}
		parts := strings.Split(strings.Trim(filepath.ToSlash(filepath.Clean(hdr.Name)), "/"), "/")
		if len(parts) <= dep.StripComponents {
			continue
		}
		rel := filepath.Join(parts[dep.StripComponents:]...)
		if strings.HasPrefix(rel, "..") {
			return fmt.Errorf("extracting %s: %q leaves the folder", dep, hdr.Name)
		}
		target := filepath.Join(dir, rel)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(hdr.Mode)&0o755|0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if filepath.IsAbs(hdr.Linkname) || strings.HasPrefix(filepath.Clean(filepath.Join(filepath.Dir(rel), hdr.Linkname)), "..") {
				return fmt.Errorf("extracting %s: link %q leaves the folder", dep, hdr.Name)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		}
	}
}
