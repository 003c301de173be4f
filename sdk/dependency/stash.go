package dependency

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency/internal/extract"
)

// stashFile is the one file of a stash layer.
const stashFile = "stash.tar.zst"

// stashMetadata is the metadata of a stash layer; another format is a new stash.
type stashMetadata struct {
	Format string `toml:"format"`
}

// Stash keeps a folder from one build to the next packed into one compressed file in a cache
// layer: for what a buildpack needs only when something changed, such as a package manager's
// download cache. The lifecycle restores and caches every cache layer on every build, file by
// file; for a stash that is one file, and the buildpack unpacks it only in a build that uses it.
//
// Open the stash on every build (a stash not opened is dropped, like any layer), Unpack it
// before the step that uses the folder and Pack it after; a build that does neither keeps it
// as it was.
type Stash struct {
	layer *sdk.Layer[stashMetadata]
}

// OpenStash opens the stash layer name (a cache layer holding one file).
func OpenStash(layers *sdk.Layers, name string) (*Stash, error) {
	l, err := sdk.OpenLayer(layers, name, sdk.Needs{EveryBuild: true}, stashMetadata{Format: stashFile}, nil)
	if err != nil {
		return nil, fmt.Errorf("opening stash: %w", err)
	}
	return &Stash{layer: l}, nil
}

// Unpack extracts the stashed folder into dir (created if missing) and reports whether there
// was one. Entries are confined to dir, as for dependency archives.
func (s *Stash) Unpack(ctx context.Context, dir string) (bool, error) {
	p := filepath.Join(s.layer.Path, stashFile)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("unpacking stash %s: %w", s.layer.Name, err)
	}
	if err := extract.File(ctx, p, dir, extract.Options{}); err != nil {
		return false, fmt.Errorf("unpacking stash %s: %w", s.layer.Name, err)
	}
	return true, nil
}

// Pack replaces the stash with the contents of dir: regular files, folders and symbolic
// links, with their modes and modification times.
func (s *Stash) Pack(ctx context.Context, dir string) error {
	tmp, err := os.CreateTemp(s.layer.Path, ".stash-*")
	if err != nil {
		return fmt.Errorf("packing stash %s: %w", s.layer.Name, err)
	}
	defer os.Remove(tmp.Name())
	err = packTree(ctx, tmp, dir)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.layer.Path, stashFile))
	}
	if err != nil {
		return fmt.Errorf("packing stash %s from %s: %w", s.layer.Name, dir, err)
	}
	return nil
}

// packTree writes dir as a zstd-compressed tar stream to w.
func packTree(ctx context.Context, w io.Writer, dir string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	zw, err := zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case !info.IsDir() && !info.Mode().IsRegular():
			return nil // sockets, devices and pipes are not kept
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
