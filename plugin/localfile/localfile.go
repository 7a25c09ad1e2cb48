// Package localfile reads the files a user names — a promotion file, a CA
// bundle, an OIDC token — as untrusted: a regular file only, opened
// without blocking, bounded in size however it changes meanwhile.
package localfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// The largest files the step reads: a promotion file (tens of thousands
// of promotions take under a megabyte), a CA bundle (the system's is
// about 200 KB), an OIDC token (a few KB).
const (
	MaxPromotionFile = 4 << 20
	MaxCABundle      = 1 << 20
	MaxTokenFile     = 64 << 10
)

// ErrNotRegular is a path that names something other than a regular
// file: a directory, a device (/dev/zero), a FIFO or a socket, or a
// symlink to one.
var ErrNotRegular = errors.New("not a regular file")

// Read reads the regular file at path, at most max bytes. It opens
// without blocking (a FIFO nobody writes cannot hang the step), checks
// what it opened — not what the path named a moment before — and its
// size before reading, and reads through a limit, so a file that grows
// meanwhile is still bounded.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(fi.Mode()))
	case fi.Size() > max:
		return nil, fmt.Errorf("%s: %d bytes, over the %d this file may have", path, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: over the %d bytes this file may have", path, max)
	}
	return b, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
