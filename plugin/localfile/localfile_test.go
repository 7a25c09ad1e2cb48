package localfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	if err := os.WriteFile(small, []byte("ok"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 11), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		notRegular bool
		fails      bool
	}{
		{name: "regular", path: small},
		{name: "over the limit", path: big, fails: true},
		{name: "a directory", path: dir, notRegular: true, fails: true},
		{name: "a FIFO nobody writes", path: fifo, notRegular: true, fails: true},
		{name: "a device", path: "/dev/zero", notRegular: true, fails: true},
		{name: "missing", path: filepath.Join(dir, "none"), fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := Read(tt.path, 10)
			if (err != nil) != tt.fails || errors.Is(err, ErrNotRegular) != tt.notRegular {
				t.Fatalf("Read(%s) = %q, %v", tt.path, b, err)
			}
			if !tt.fails && string(b) != "ok" {
				t.Errorf("read %q", b)
			}
		})
	}
}
