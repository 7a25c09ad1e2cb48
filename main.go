// Command tcr-promote promotes an image tag in Tencent Cloud Container
// Registry; see plugin.Help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 1 && args[1] == "demo" {
		return demo(ctx, os.Stdout, os.Stderr)
	}
	return plugin.Main(ctx, args, spelling.OSEnvironment(), os.Stdout, os.Stderr)
}
