package plugin_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// hostileRedis is a Redis on loopback that speaks the protocol but
// answers the reservation script (EVALSHA, then EVAL) with reply, and a
// login (HELLO with AUTH, or AUTH) with login when it is set.
func hostileRedis(t *testing.T, reply, login string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveHostile(conn, reply, login)
		}
	}()
	return ln.Addr().String()
}

func serveHostile(conn net.Conn, reply, login string) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(args[0]); {
		case login != "" && (cmd == "AUTH" || cmd == "HELLO" && len(args) > 2):
			io.WriteString(conn, login)
		case cmd == "HELLO":
			io.WriteString(conn, "-ERR unknown command 'HELLO'\r\n") // RESP2, as older servers
		case cmd == "EVALSHA":
			io.WriteString(conn, "-NOSCRIPT No matching script.\r\n")
		case cmd == "EVAL":
			io.WriteString(conn, reply)
		default:
			io.WriteString(conn, "+OK\r\n")
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not a command: %q (%v)", line, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	args := make([]string, 0, n)
	for range n {
		head, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

// TestStoreIsAdvice: whatever the store does — a reply that makes the
// Redis client panic, a turn a day ahead that the script cannot give, a
// refusal that repeats the password — the promotions go on at their own
// pace and succeed, the run warns once, and no password is shown.
func TestStoreIsAdvice(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, reply, login string }{
		{"a bulk length near 2^63", "*3\r\n:1\r\n$9223372036854775000\r\n", ""},
		{"a turn a day ahead", "*3\r\n:0\r\n:86400000000\r\n:1728000000\r\n", ""},
		{"booked past the deadline", "*3\r\n:1\r\n:3600000000\r\n:72000\r\n", ""},
		{"not an array", ":1\r\n", ""},
		{"a refusal that repeats the password", "", "-WRONGPASS invalid password 'hunter2-store-secret' for 'default'\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			addr := hostileRedis(t, tt.reply, tt.login)
			res, env := f.promote(t, 0, map[string]string{
				"PLUGIN_RATE_STORE": "redis://:hunter2-store-secret@" + addr + "/0", "PLUGIN_RATE_STORE_KEY": "k", "PLUGIN_DESTINATION_TAG": "a,b,c",
				"DRONE": "true", "CI": "true", // a CI that masks nothing itself
			})
			if env["PROMOTED"] != "true" {
				t.Errorf("outputs %v: the store failed the promotions", env)
			}
			if n := strings.Count(res.stdout, "pacing on its own for the rest of the run"); n != 1 {
				t.Errorf("%d warnings that the store is broken, want 1:\n%s", n, res.stdout)
			}
			if strings.Contains(res.stdout+res.stderr, "hunter2-store-secret") {
				t.Errorf("the store's password was shown:\n%s%s", res.stdout, res.stderr)
			}
		})
	}
}

// TestPlanIsInert: API text that reaches the plan file — posted as a
// pull-request comment — and the job summary forms no link, autolink,
// mention, reference, image or HTML.
func TestPlanIsInert(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hostile := "see https://evil.example/login or www.evil.example, ask @acme/release-managers about #12, <img src=x onerror=alert(1)> ![i](https://evil.example/i.png) [click](https://evil.example)"
	f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Status: 200, ContentType: "application/json",
		Body: `{"Response":{"Error":{"Code":"FailedOperation","Message":` + strconv.Quote(hostile) + `},"RequestId":"r-1"}}`})
	vars := f.promotionFile(t, "promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n")
	summary := filepath.Join(f.dir, "summary.md")
	res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou", "PLUGIN_MODE": "plan", "PLUGIN_RETRIES": "0",
		"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}))
	for _, path := range []string{vars["PLUGIN_PLAN_FILE"], summary} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("exit %d: %v\n%s", res.code, err, res.stderr)
		}
		text := string(b)
		if !strings.Contains(text, "evil") {
			t.Errorf("%s does not show the API's text at all:\n%s", path, text)
		}
		for _, live := range []string{"https://", "www.evil", "@acme", "#12", "<img", "](", "!["} {
			if strings.Contains(text, live) {
				t.Errorf("%s holds %q, which GitHub would make live:\n%s", path, live, text)
			}
		}
	}
}

// TestOptionalReadsWaitForNothing: the read behind the platforms output,
// trickled a byte a second, gives up on its own budget; the copy, the
// read-back and the carried signature all happen, and the output says the
// platforms are unknown.
func TestOptionalReadsWaitForNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sig := "sha256-" + strings.TrimPrefix(digestA, "sha256:") + ".sig"
	_ = f.emu.PutImage("tcr-1", "develop", "app", sig, digestB)
	f.emu.Inject(tcremu.Fault{Action: "DescribeImageManifests", Trickle: time.Second})
	res, env := f.promote(t, 0, map[string]string{"PLUGIN_ATTEMPT_TIMEOUT": "1s", "PLUGIN_TIMEOUT": "4s"})
	if _, ok := f.emu.Lookup("tcr-1", "release", "app", sig); !ok || env["ACCESSORIES"] != sig {
		t.Errorf("the signature was not carried: outputs %v\n%s%s", env, res.stdout, res.stderr)
	}
	if env["PLATFORMS"] != "" || !strings.Contains(res.stdout, "no platforms output") {
		t.Errorf("platforms %q, want empty with a warning\n%s", env["PLATFORMS"], res.stdout)
	}
}

// TestFloodsAreBounded: what the registry lists without end — a
// manifest's platforms, an instance's replicas — is told within bounds in
// the log, the errors and the outputs.
func TestFloodsAreBounded(t *testing.T) {
	t.Parallel()
	t.Run("5,000 platforms", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		platforms := make([]string, 5_000)
		for i := range platforms {
			platforms[i] = fmt.Sprintf("linux/a%d", i)
		}
		f.emu.SetArtifact(digestA, tcremu.Artifact{Platforms: platforms})
		out := filepath.Join(f.dir, "github_output")
		res, env := f.promote(t, 0, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out})
		if n := strings.Count(env["PLATFORMS"], ",") + 1; n > 64 {
			t.Errorf("the platforms output lists %d", n)
		}
		if fi, err := os.Stat(out); err != nil || fi.Size() > 64<<10 {
			t.Errorf("GITHUB_OUTPUT: %v, %v", fi, err)
		}
		if !strings.Contains(res.stdout, "lists 5000 platforms: the platforms output gives the first 64") {
			t.Errorf("the cut was not said:\n%s", res.stdout)
		}
	})
	t.Run("a hundred lagging replicas", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		for i := range 100 {
			_ = f.emu.AddReplica("tcr-1", fmt.Sprintf("tcr-r%03d", i), fmt.Sprintf("ap-region%03d", i), time.Hour)
		}
		res, _ := f.promote(t, 75, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_REPLICA_TIMEOUT": "1s"})
		if n := len(res.stdout) + len(res.stderr); n > 20_000 {
			t.Errorf("%d bytes of log for 100 replicas", n)
		}
		if !strings.Contains(res.stderr, "and 95 more") {
			t.Errorf("the replicas were not told within bounds:\n%s", res.stderr)
		}
	})
}
