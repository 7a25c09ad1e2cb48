// Package registrytest runs Debian's docker-registry (distribution 2.8) on
// loopback: a real registry server for the copies across instances, as a
// test's destination or a benchmark's. Where it is not installed a test
// skips, saying why — or fails where $TCR_REQUIRE_REGISTRY=1 says a skip
// would hide a missing part.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Registry is a running docker-registry.
type Registry struct {
	URL string // http://127.0.0.1:port
	cmd *exec.Cmd
	dir string
}

// ErrNotInstalled is returned by Start where no docker-registry is on the
// PATH.
var ErrNotInstalled = errors.New("docker-registry is not installed (Debian: apt-get install docker-registry)")

// config keeps every byte under dir, listens on loopback only, and logs
// only warnings: its access log would drown a test's output.
const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
`

// Start runs a registry storing under a new directory in dir (os.TempDir
// if empty) until Stop — or this process's end, which the kernel passes on
// to it (Pdeathsig).
func Start(dir string) (*Registry, error) {
	path, err := exec.LookPath("docker-registry")
	if err != nil {
		return nil, ErrNotInstalled
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	tmp, err := os.MkdirTemp(dir, "tcr-registry-")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(tmp, "config.yml")
	// The secret signs upload state; one process needs no shared one, but
	// an unset secret makes the registry warn on every start.
	if err := os.WriteFile(cfg, fmt.Appendf(nil, config, filepath.Join(tmp, "data"), addr, "tcr-promote-test"), 0o600); err != nil {
		return nil, err
	}
	// Its log (each 404 a HEAD meets is an error there) goes to a file
	// beside its data, quoted if it does not start.
	logPath := filepath.Join(tmp, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(path, "serve", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	r := &Registry{URL: "http://" + addr, cmd: cmd, dir: tmp}
	if err := r.ready(10 * time.Second); err != nil {
		log, _ := os.ReadFile(logPath)
		r.Stop()
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return r, nil
}

// ready waits until /v2/ answers.
func (r *Registry) ready(within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/v2/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("docker-registry did not answer on %s within %s", r.URL, within)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends the registry and removes what it stored.
func (r *Registry) Stop() {
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	_ = os.RemoveAll(r.dir)
}

// New starts a registry for one test, stopped when it ends.
func New(t testing.TB) *Registry {
	t.Helper()
	r, err := Start(t.TempDir())
	if err != nil {
		if os.Getenv("TCR_REQUIRE_REGISTRY") == "1" {
			t.Fatalf("no docker-registry for this test, and TCR_REQUIRE_REGISTRY=1: %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}
