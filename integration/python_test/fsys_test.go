package pythontest

import (
	"io/fs"
	"testing/fstest"
)

// fsys is an app given as file name -> content.
type fsys map[string]string

// FS returns the app as an fs.FS.
func (f fsys) FS() fs.FS {
	m := fstest.MapFS{}
	for k, v := range f {
		m[k] = &fstest.MapFile{Data: []byte(v), Mode: 0o644}
	}
	return m
}
