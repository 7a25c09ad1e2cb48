package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

const (
	demoID, demoKey = "AKIDdemo", "demo-secret-key"
	demoDigest      = "sha256:3b5c0e2f6a7d8e9f00112233445566778899aabbccddeeff0011223344556677"
)

// demo runs a real promotion with no cloud account: it serves the TCR
// emulator on loopback, runs this very binary as a child process with
// Drone-style settings pointed at it, and prints what the step wrote.
func demo(ctx context.Context, stdout, stderr io.Writer) int {
	emu := tcremu.New(tcremu.WithCredential(demoID, demoKey))
	emu.AddInstance("tcr-demo", "ap-guangzhou", "demo.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-demo", "release")
	_ = emu.PutImage("tcr-demo", "develop", "app", "stg", demoDigest)

	// The image is signed as cosign v3 signs: a Sigstore bundle attached
	// as an OCI referrer, which the promotion carries through the
	// registry's protocol.
	bundle, _ := emu.Store("tcr-demo").Attach("develop/app", oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: demoDigest, Size: 1024},
		oci.TypeCosignBundle, oci.TypeCosignBundle, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))

	api, stopAPI, err := tcremu.ServeLoopback(emu)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer stopAPI()
	registry, stopRegistry, err := tcremu.ServeLoopback(emu.RegistryServer("tcr-demo", oci.Options{Referrers: true}))
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer stopRegistry()

	dir, err := os.MkdirTemp("", "tcr-promote-demo")
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	outFile := filepath.Join(dir, "outputs.env")
	fmt.Fprintf(stdout, "== TCR emulator on %s, its registry on %s: instance tcr-demo (demo.tencentcloudcr.com) has develop/app:stg, signed with a cosign v3 bundle (%s)\n", api, registry, bundle.Digest)
	code, err := runChild(ctx, stdout, stderr, []string{
		"PLUGIN_ENDPOINT=" + api,
		"PLUGIN_REGISTRY_ENDPOINT=" + registry,
		"PLUGIN_REQUIRE_SIGNATURE=cosign",
		"PLUGIN_SOURCE_IMAGE=demo.tencentcloudcr.com/develop/app:stg",
		"PLUGIN_DESTINATION_IMAGE=release/app:prd",
		"PLUGIN_OUTPUT_FILE=" + outFile,
		"PLUGIN_SECRET_ID=" + demoID,
		"PLUGIN_SECRET_KEY=" + demoKey,
	})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	report(stdout, emu, code, outFile)
	return code
}

// report prints what the demo's promotion wrote and what the emulator saw.
func report(stdout io.Writer, emu *tcremu.Emulator, code int, outFile string) {
	fmt.Fprintf(stdout, "== exit code %d; %s:\n", code, "output_file")
	out, _ := os.ReadFile(outFile)
	stdout.Write(out)
	fmt.Fprintln(stdout, "== API calls the emulator answered:")
	for _, r := range emu.Requests() {
		fmt.Fprintf(stdout, "    %s %s (RequestId %s)\n", r.Action, cmp.Or(r.Code, "ok"), r.RequestID)
	}
	img, ok := emu.Lookup("tcr-demo", "release", "app", "prd")
	fmt.Fprintf(stdout, "== emulator now has release/app:prd: %t %s\n", ok, img.Digest)
	for _, r := range emu.Store("tcr-demo").Referrers("release/app", demoDigest) {
		fmt.Fprintf(stdout, "== and, referring to it in release/app: %s %s\n", r.ArtifactType, r.Digest)
	}
}

// runChild runs this binary with settings as its environment, printing
// them (the secret key aside) first.
func runChild(ctx context.Context, stdout, stderr io.Writer, settings []string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(stdout, "== running tcr-promote with:")
	for _, s := range settings {
		if name, _, _ := strings.Cut(s, "="); name != "PLUGIN_SECRET_KEY" {
			fmt.Fprintln(stdout, "   ", s)
		}
	}
	cmd := exec.CommandContext(ctx, self)
	// A clean environment: the user's own TENCENTCLOUD_* or CI variables
	// must not leak into the demo.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, settings...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		return code, nil
	}
	return 0, err
}
