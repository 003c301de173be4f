package tgz

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// ReadFile returns the content of the regular file name (a slash path; "./" and the like
// are cleaned away) in the .tgz at file.
func ReadFile(file, name string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s has no %s", file, name)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		if path.Clean(hdr.Name) == path.Clean(name) && hdr.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
