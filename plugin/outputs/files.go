package outputs

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFile writes text in one write: appended to a file the runner gave
// us, or replacing one that is ours.
func writeFile(path, text string, ours bool) error {
	if ours {
		return replaceFile(path, text)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, werr := fh.WriteString(text)
	return errors.Join(werr, fh.Close())
}

// replaceFile writes path whole and atomically: a temporary file in the
// same directory, renamed over it. The rename replaces whatever is at path
// — a symlink planted by an earlier step too — and never writes through
// it; a reader sees the old file or the new one, never half of one.
func replaceFile(path, text string) error {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(cmp.Or(dir, "."), "."+base+".tmp-*")
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		// The caller names path; the temporary's own name would say it twice.
		return fmt.Errorf("creating it: %w", pe.Err)
	} else if err != nil {
		return err
	}
	_, werr := f.WriteString(text)
	err = errors.Join(werr, f.Close(), os.Chmod(f.Name(), 0o644)) // readable by the steps that follow
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// writeDir writes output_dir: each output a file of its own, and every
// other file the step owns there removed, so that no value of an earlier
// run survives this one.
func writeDir(dir string, parts []rendered) error {
	var errs []error
	written := map[string]bool{}
	for _, p := range parts {
		errs = append(errs, replaceFile(filepath.Join(dir, p.Name), p.text))
		written[p.Name] = true
	}
	for _, name := range ownedFiles() {
		if written[name] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ownedFiles are the names the step writes in output_dir.
func ownedFiles() []string {
	names := []string{"IMAGE_URL", "IMAGE_DIGEST"}
	for _, o := range Specs {
		names = append(names, o.Name)
	}
	return names
}
