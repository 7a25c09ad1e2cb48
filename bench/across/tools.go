package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// tool is a copier: the command that copies img into repo:prd at the
// destination, and, where it says so, the blob bytes it says it moved.
type tool struct {
	name    string
	command func(img *image, repo, out string) *exec.Cmd
	says    func(out string) (int64, bool)
}

// tools are the step, as a pipeline runs it, and crane, logged in to both
// registries with instance tokens as a user would (tccli's
// CreateInstanceToken, then a docker config).
func (w *world) tools(step, crane string) ([]tool, error) {
	config := filepath.Join(w.dir, "docker")
	auths := map[string]any{}
	for _, in := range []struct{ id, region, host string }{{"tcr-1", "ap-guangzhou", w.srcHost}, {"tcr-2", "ap-shanghai", w.dstHost}} {
		user, token, err := w.instanceToken(in.id, in.region)
		if err != nil {
			return nil, err
		}
		auths[in.host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + token))}
	}
	data, _ := json.Marshal(map[string]any{"auths": auths})
	if err := os.MkdirAll(config, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(config, "config.json"), data, 0o600); err != nil {
		return nil, err
	}
	return []tool{
		{name: "tcr-promote", command: func(img *image, repo, out string) *exec.Cmd {
			cmd := exec.Command(step)
			cmd.Env = []string{
				"PLUGIN_SOURCE_IMAGE=dev.tencentcloudcr.com/develop/app:" + img.tag,
				"PLUGIN_DESTINATION_IMAGE=prod.tencentcloudcr.com/" + repo + ":prd",
				"PLUGIN_ENDPOINT=" + w.api, "PLUGIN_REGISTRY_ENDPOINT=" + w.src, "PLUGIN_DESTINATION_REGISTRY_ENDPOINT=" + w.dst,
				"PLUGIN_SECRET_ID=" + secretID, "PLUGIN_SECRET_KEY=" + secretKey, "PLUGIN_OUTPUT_FILE=" + out,
			}
			return cmd
		}, says: copiedBytes},
		{name: "crane copy", command: func(img *image, repo, _ string) *exec.Cmd {
			cmd := exec.Command(crane, "copy", w.srcHost+"/develop/app:"+img.tag, w.dstHost+"/"+repo+":prd")
			cmd.Env = []string{"DOCKER_CONFIG=" + config, "HOME=" + w.dir}
			return cmd
		}, says: func(string) (int64, bool) { return 0, false }},
	}, nil
}

// measure runs t once on img in a state, checks the destination holds
// img's digest, and returns what it cost.
func (w *world) measure(t tool, img *image, state string, i int) (measured, error) {
	repo := fmt.Sprintf("release/%s-%s-%d", img.tag, strings.ReplaceAll(t.name, " ", "-"), i)
	r := measured{missing: img.size()}
	switch state {
	case "warm":
		r.missing = 0 // the cold run of this i filled it
	case "half":
		repo += "-half"
		var err error
		if r.missing, err = w.seed(img, repo); err != nil {
			return r, err
		}
	}
	out := filepath.Join(w.dir, "out.env")
	_ = os.Remove(out)
	cmd := t.command(img, repo, out)
	// GNU time reports the peak RSS: the tool's own rusage would count
	// this process's pages, which a child shares until it execs.
	rss := filepath.Join(w.dir, "rss")
	cmd.Args = append([]string{"time", "-f", "%M %U %S", "-o", rss, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = w.time
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	w.uploaded.n.Store(0)
	start := time.Now()
	err := cmd.Run()
	r.wall = time.Since(start)
	r.moved = w.uploaded.n.Load()
	if err != nil {
		return r, fmt.Errorf("%v\n%s", err, log.String())
	}
	said, _ := os.ReadFile(rss)
	var user, sys float64
	if _, err := fmt.Sscanf(string(said), "%d %f %f", &r.rss, &user, &sys); err != nil {
		return r, fmt.Errorf("reading GNU time's %q: %w", said, err)
	}
	r.rss <<= 10 // KiB
	r.cpu = time.Duration((user + sys) * float64(time.Second))
	if said, ok := t.says(out); ok && said != r.moved {
		return r, fmt.Errorf("it says it moved %d bytes; %d arrived", said, r.moved)
	}
	if d, err := headDigest(w.dist.URL + "/v2/" + repo + "/manifests/prd"); err != nil || d != img.digest {
		return r, fmt.Errorf("the destination holds %q (%v), want %s", d, err, img.digest)
	}
	return r, nil
}

// copiedBytes reads the step's copied_bytes output.
func copiedBytes(out string) (int64, bool) {
	f, err := os.Open(out)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if v, ok := strings.CutPrefix(sc.Text(), "COPIED_BYTES="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func headDigest(u string) (string, error) {
	req, _ := http.NewRequest(http.MethodHead, u, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return resp.Header.Get("Docker-Content-Digest"), nil
}

// instanceToken asks the emulator for a registry token, through the
// common SDK, as tccli would.
func (w *world) instanceToken(id, region string) (user, token string, err error) {
	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = hostOf(w.api)
	client := common.NewCommonClient(common.NewCredential(secretID, secretKey), region, prof)
	req := tchttp.NewCommonRequest("tcr", "2019-09-24", "CreateInstanceToken")
	if err := req.SetActionParameters(map[string]any{"RegistryId": id}); err != nil {
		return "", "", err
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		return "", "", err
	}
	var answer struct {
		Response struct{ Username, Token string }
	}
	if err := json.Unmarshal(resp.GetBody(), &answer); err != nil {
		return "", "", err
	}
	return answer.Response.Username, answer.Response.Token, nil
}

func hostOf(u string) string {
	p, _ := url.Parse(u)
	return p.Host
}
