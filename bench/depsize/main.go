// Command depsize says what each module costs in a Go binary: the bytes
// of its code, read-only data and data in the file (not .bss, which takes
// no room on disk), attributed by symbol name to the module that defines
// it; the function table (.gopclntab), which no symbol names, is shared
// out in proportion to each module's code. What is left — type links,
// symbol tables, ELF headers — is the remainder. It reads an ELF binary
// built with its symbols (-ldflags=-w, not -s; the code is the same):
//
//	go run ./bench/depsize tcr-promote
//
// and prints a Markdown table, largest first.
package main

import (
	"cmp"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: depsize <binary>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "depsize:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return err
	}
	modules := []string{info.Main.Path}
	for _, d := range info.Deps {
		modules = append(modules, d.Path)
	}
	// The longest module path first: a module nested in another's path
	// takes its own symbols.
	slices.SortFunc(modules, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	size, text := map[string]uint64{}, map[string]uint64{}
	var named, allText uint64
	for _, s := range syms {
		if int(s.Section) <= 0 || int(s.Section) >= len(f.Sections) || f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		owner := ownerOf(s.Name, modules)
		size[owner] += s.Size
		named += s.Size
		if f.Sections[s.Section].Name == ".text" {
			text[owner] += s.Size
			allText += s.Size
		}
	}
	if tab := f.Section(".gopclntab"); tab != nil && allText > 0 {
		for o, n := range text {
			share := uint64(float64(tab.Size) * float64(n) / float64(allText))
			size[o] += share
			named += share
		}
	}
	printTable(path, info.GoVersion, st.Size(), size, named)
	return nil
}

// printTable prints each owner's bytes, largest first, and what no
// symbol covers.
func printTable(path, goVersion string, total int64, size map[string]uint64, named uint64) {
	fmt.Printf("%s: %d bytes (%s)\n\n", path, total, goVersion)
	fmt.Println("| module | bytes | share |")
	fmt.Println("|---|---:|---:|")
	owners := make([]string, 0, len(size))
	for o := range size {
		owners = append(owners, o)
	}
	slices.SortFunc(owners, func(a, b string) int { return cmp.Compare(size[b], size[a]) })
	for _, o := range owners {
		fmt.Printf("| %s | %d | %.1f%% |\n", o, size[o], 100*float64(size[o])/float64(total))
	}
	rest := uint64(total) - min(named, uint64(total))
	fmt.Printf("| (no symbol: type links, symbol tables, headers) | %d | %.1f%% |\n", rest, 100*float64(rest)/float64(total))
}

// ownerOf is the module a symbol belongs to: the standard library (and
// the runtime's own symbols) when no module's path prefixes its package.
func ownerOf(sym string, modules []string) string {
	sym = strings.ReplaceAll(sym, "%2e", ".") // a dot in a path's last element, escaped
	sym = strings.TrimPrefix(sym, "type:")
	sym = strings.TrimPrefix(sym, "go:itab.*")
	sym = strings.TrimPrefix(sym, "go:itab.")
	for _, m := range modules {
		if strings.HasPrefix(sym, m+"/") || strings.HasPrefix(sym, m+".") {
			return m
		}
	}
	return "standard library and runtime"
}
