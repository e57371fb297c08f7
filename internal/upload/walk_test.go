//go:build unix

package upload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestWalk(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a.txt", "sub/b.txt", "sub/deeper/c.txt", "outside/d.txt"} {
		p := filepath.Join(root, "tree", f)
		if f == "outside/d.txt" {
			p = filepath.Join(root, f)
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	tree := filepath.Join(root, "tree")
	os.Symlink(filepath.Join(root, "outside"), filepath.Join(tree, "linkdir"))
	os.Symlink("a.txt", filepath.Join(tree, "link.txt"))
	os.Symlink("missing", filepath.Join(tree, "broken"))
	os.Symlink("..", filepath.Join(tree, "sub", "loop"))
	if err := syscall.Mkfifo(filepath.Join(tree, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		follow   bool
		files    []string
		skipped  []string
		failures []string
	}{
		{
			follow:   false,
			files:    []string{"a.txt", "sub/b.txt", "sub/deeper/c.txt"},
			skipped:  []string{"broken", "link.txt", "linkdir", "sub/loop"},
			failures: []string{"fifo"},
		},
		{
			follow:   true,
			files:    []string{"a.txt", "link.txt", "linkdir/d.txt", "sub/b.txt", "sub/deeper/c.txt"},
			failures: []string{"broken", "fifo", "sub/loop"},
		},
	} {
		var files, skipped, failures []string
		err := Walk(context.Background(), tree, tc.follow,
			func(path, rel string, fi fs.FileInfo) error {
				files = append(files, rel)
				return nil
			},
			func(path string, err error) {
				rel, _ := filepath.Rel(tree, path)
				if errors.Is(err, ErrSymlinkSkipped) {
					skipped = append(skipped, rel)
				} else {
					failures = append(failures, rel)
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(failures)
		if !slices.Equal(files, tc.files) || !slices.Equal(skipped, tc.skipped) || !slices.Equal(failures, tc.failures) {
			t.Errorf("follow=%v:\nfiles    %q, want %q\nskipped  %q, want %q\nfailures %q, want %q",
				tc.follow, files, tc.files, skipped, tc.skipped, failures, tc.failures)
		}
	}
}
