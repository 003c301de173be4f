package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxFileSize is the largest descriptor or configuration file ReadFile reads: a
// buildpack.toml with a large dependency inventory is a few hundred kilobytes.
const MaxFileSize = 16 << 20

// NotRegularError reports a path cnbkit was asked to read that is not a regular file (a
// named pipe, a device, a socket, or a directory where a file is meant). A pipe or a device
// would block the reader or never end, so every file is checked by type before it is opened.
type NotRegularError struct {
	Path string
	Mode fs.FileMode // the type bits found
	// Want says what to give instead; empty: "the path of a file".
	Want string
}

func (e *NotRegularError) Error() string {
	want := e.Want
	if want == "" {
		want = "the path of a file"
	}
	return fmt.Sprintf("%s is %s, not a regular file: give %s", e.Path, describeType(e.Mode), want)
}

func describeType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a special file (" + m.Type().String() + ")"
}

// Open opens path for reading once its type, symbolic links followed, shows a regular file;
// anything else is a *NotRegularError and is never opened.
func Open(path string) (*os.File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: info.Mode()}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	// The path may have been replaced between the two calls: check what was opened.
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, &NotRegularError{Path: path, Mode: info.Mode()}
	}
	return f, nil
}

// ReadFile reads a whole descriptor, configuration or inventory file as [Open] opens it,
// refusing files larger than [MaxFileSize].
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB: %w", path, MaxFileSize>>20, ErrTooLarge)
	}
	return data, nil
}

// ErrTooLarge is wrapped by ReadFile's error for a file over MaxFileSize.
var ErrTooLarge = errors.New("file too large")
