package scaffold_test

import (
	"crypto/sha256"
	"encoding/hex"
	"go/format"
	"io/fs"

	"github.com/cnbkit/cnbkit/scaffold"
)

func fsMode(m uint32) fs.FileMode { return fs.FileMode(m) }

func fileData(files []scaffold.File, path string) []byte {
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	return nil
}

func sha256sum(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func gofmt(src []byte) []byte {
	out, err := format.Source(src)
	if err != nil {
		return nil
	}
	return out
}
