package main

import (
	"io"
	"os"
	"path/filepath"
)

// installCopies copies the programs the bench runs — the tools of bin and
// ossutil — into a new directory in bin, as scripts/install.sh puts
// them in place (cp: copy_file_range, which io.Copy between files uses
// too), and returns the copies by name and a function that removes them.
// In bin, not in the tmpfs scratch directory: installed programs live
// on a disk's file system, and from tmpfs a copy starts at a cost between
// the two below.
//
// Why: how a binary's file was written changes what starting it costs.
// Run from the file `go build` wrote, a 4 KiB ossuploader call took
// 21.6–25.0 ms of CPU; run from a cp of the same bytes, 19.0–22.0 ms
// (−10 to −13 %, alternating runs, medians of 60–80, several pairs).
// The linker writes its output through a memory map, which leaves the
// file in the page cache as 4 KiB folios; cp and cat write it as 64 KiB
// ones (the filemap:mm_filemap_add_to_page_cache tracepoint: 1707 order-0
// folios vs 105 order-4), and the page faults that map a program cost
// less from those. ossutil, built long before, moved by −3 %. So the
// ratios depended on whether make had just relinked a tool; every binary
// compared now starts from the state an installed one is in.
func installCopies(bin, ossutil string, tools []string) (map[string]string, func(), error) {
	dir, err := os.MkdirTemp(bin, ".bench-installed-")
	if err != nil {
		// A read-only BENCH_BIN: beside the other temporary files.
		if dir, err = os.MkdirTemp("", "ossx-bench-installed-"); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() { os.RemoveAll(dir) }
	copies := map[string]string{}
	add := func(name, src string) error {
		dst := filepath.Join(dir, name)
		if err := copyExecutable(src, dst); err != nil {
			return err
		}
		copies[name] = dst
		return nil
	}
	for _, t := range tools {
		src := filepath.Join(bin, t)
		if !fileExists(src) {
			continue
		}
		if err := add(t, src); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	if ossutil != "" {
		if err := add("ossutil", ossutil); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	return copies, cleanup, nil
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
