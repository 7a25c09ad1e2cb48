// Command across measures a promotion across instances side by side with
// crane copy (go-containerregistry v0.22.1), the field's copier, between
// two registries on loopback: the emulator's (the source instance) and
// Debian's docker-registry behind the emulator's token service (the
// destination instance, a real registry server writing to disk). Both
// tools authenticate with instance tokens and copy the same images in the
// same states:
//   - cold: nothing at the destination;
//   - warm: everything there (the cold run's repository, again);
//   - half: half of the layers there already, pushed beforehand.
//
// For each it prints the median wall time, the blob bytes that arrived at
// the destination (counted at its gate; manifests aside) against the bytes
// that were missing, and the tool's peak RSS. docs/performance.md records
// a run; scripts/bench-across.sh builds both tools and runs this.
//
// Usage: across -step BIN -crane BIN [-count 3] [-layer-mb 50]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/registrytest"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

const secretID, secretKey = "AKIDbench", "bench-secret-key"

func main() {
	step := flag.String("step", "", "the tcr-promote binary")
	crane := flag.String("crane", "", "the crane binary")
	count := flag.Int("count", 3, "runs of each cell; the median is shown")
	layerMB := flag.Int("layer-mb", 50, "the single image's layer size, MB")
	flag.Parse()
	if *step == "" || *crane == "" {
		fmt.Fprintln(os.Stderr, "usage: across -step BIN -crane BIN [-count 3] [-layer-mb 50]")
		os.Exit(2)
	}
	if err := bench(*step, *crane, *count, *layerMB<<20); err != nil {
		fmt.Fprintln(os.Stderr, "across:", err)
		os.Exit(1)
	}
}

func bench(step, crane string, count, layer int) error {
	w, err := newWorld()
	if err != nil {
		return err
	}
	defer w.stop()
	rng := rand.NewChaCha8([32]byte{1})
	shapes := []*image{
		w.push(rng, "single", 1, 3, layer),  // 3 layers of 50 MB
		w.push(rng, "index", 4, 3, layer/4), // 4 platforms, 3 layers each: the same bytes in all
	}
	tools, err := w.tools(step, crane)
	if err != nil {
		return err
	}
	fmt.Printf("%d runs a cell, the tools taking turns; the median run shown, with the fastest and slowest wall times; CPU: the tool's user and system time; moved: blob bytes that arrived at the destination\n\n", count)
	fmt.Println("| image | state | missing | tool | wall (min–max) | CPU | moved | peak RSS |")
	fmt.Println("|---|---|---:|---|---:|---:|---:|---:|")
	for _, img := range shapes {
		for _, state := range []string{"cold", "warm", "half"} {
			// The tools take turns, so that a slower minute of the
			// machine falls on both.
			runs := make([][]measured, len(tools))
			for i := range count {
				for n, t := range tools {
					r, err := w.measure(t, img, state, i)
					if err != nil {
						return fmt.Errorf("%s %s %s: %w", t.name, img.tag, state, err)
					}
					runs[n] = append(runs[n], r)
				}
			}
			for n, t := range tools {
				slices.SortFunc(runs[n], func(a, b measured) int { return int(a.wall - b.wall) })
				m := runs[n][len(runs[n])/2]
				lo, hi := runs[n][0], runs[n][len(runs[n])-1]
				fmt.Printf("| %s | %s | %s | %s | %d ms (%d–%d) | %d ms | %s | %.1f MB |\n", img.tag, state, mb(m.missing), t.name,
					m.wall.Milliseconds(), lo.wall.Milliseconds(), hi.wall.Milliseconds(), m.cpu.Milliseconds(), mb(m.moved), float64(m.rss)/(1<<20))
			}
		}
	}
	return nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// world is the two instances: the API, the source's registry, and the
// destination's gate in front of docker-registry.
type world struct {
	emu              *tcremu.Emulator
	api, src, dst    string // URLs
	dist             *registrytest.Registry
	uploaded         counter // blob bytes written through the destination's gate
	dir              string
	stops            []func()
	srcHost, dstHost string
	time             string // GNU time, which measures each run's peak RSS
}

func newWorld() (*world, error) {
	dir, err := os.MkdirTemp("", "tcr-bench-across-")
	if err != nil {
		return nil, err
	}
	gnuTime, err := exec.LookPath("time")
	if err != nil {
		return nil, fmt.Errorf("GNU time measures the peak RSS (Debian: apt-get install time): %w", err)
	}
	w := &world{dir: dir, time: gnuTime, emu: tcremu.New(tcremu.WithCredential(secretID, secretKey))}
	w.stops = append(w.stops, func() { os.RemoveAll(dir) })
	w.emu.AddInstance("tcr-1", "ap-guangzhou", "dev.tencentcloudcr.com")
	w.emu.AddInstance("tcr-2", "ap-shanghai", "prod.tencentcloudcr.com")
	if err := w.emu.AddNamespace("tcr-1", "develop"); err != nil {
		return nil, err
	}
	if err := w.emu.AddNamespace("tcr-2", "release"); err != nil {
		return nil, err
	}
	if w.dist, err = registrytest.Start(dir); err != nil {
		w.stop()
		return nil, err
	}
	w.stops = append(w.stops, w.dist.Stop)
	u, _ := url.Parse(w.dist.URL)
	gate := w.uploaded.counting(httputil.NewSingleHostReverseProxy(u))
	for _, s := range []struct {
		url *string
		h   http.Handler
	}{
		{&w.api, w.emu},
		{&w.src, w.emu.RegistryServer("tcr-1", oci.Options{})},
		{&w.dst, w.emu.RegistryServer("tcr-2", oci.Options{Backend: gate})},
	} {
		url, stop, err := tcremu.ServeLoopback(s.h)
		if err != nil {
			w.stop()
			return nil, err
		}
		*s.url = url
		w.stops = append(w.stops, stop)
	}
	w.srcHost, w.dstHost = hostOf(w.src), hostOf(w.dst)
	return w, nil
}

func (w *world) stop() {
	for _, stop := range slices.Backward(w.stops) {
		stop()
	}
}

// measured is what one copy cost.
type measured struct {
	wall           time.Duration
	moved, missing int64
	rss            int64         // bytes
	cpu            time.Duration // user and system
}
