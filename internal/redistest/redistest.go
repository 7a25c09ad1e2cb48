// Package redistest gives tests a real Redis: the one .ci/run started
// ($TCR_TEST_REDIS), else a private redis-server on loopback for the test
// binary, else a skip that says why — or a failure where
// $TCR_REQUIRE_REDIS=1 says a skip would hide a missing part.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	server  = sync.OnceValues(start)
	mu      sync.Mutex
	running *exec.Cmd
	dir     string
)

// Nowhere returns a loopback host:port where nothing listens: a store
// that is down.
func Nowhere(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// Run runs the tests of m and then stops the private server, if one was
// started: TestMain's os.Exit(redistest.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop ends the private server, if one was started.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if running != nil {
		_ = running.Process.Kill()
		_ = running.Wait()
		_ = os.RemoveAll(dir)
		running = nil
	}
}

// URL returns a redis:// URL of a running server, shared by the tests of
// one binary: each test keys its own data.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("TCR_TEST_REDIS"); u != "" {
		return u
	}
	u, err := server()
	if err != nil {
		if os.Getenv("TCR_REQUIRE_REDIS") == "1" {
			t.Fatalf("no Redis for this test, and TCR_REQUIRE_REDIS=1: %v", err)
		}
		t.Skipf("skipped: no Redis (%v); install redis-server (Debian: apt-get install redis-server) or set TCR_TEST_REDIS", err)
	}
	return u
}

// start runs redis-server on a free loopback port, without persistence,
// until Stop — or the test binary's end, which the kernel passes on to it
// (Pdeathsig) should Stop not be reached.
func start() (string, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	tmp, err := os.MkdirTemp("", "tcr-redis-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", fmt.Errorf("redis-server did not start within 10s")
	}
	mu.Lock()
	running, dir = cmd, tmp
	mu.Unlock()
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port), nil
}
