package upload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrSymlinkSkipped is reported for a symbolic link met while walking a
// directory without following symlinks.
var ErrSymlinkSkipped = errors.New("symbolic link skipped (pass --follow-symlinks to upload its target)")

// WalkFunc receives each regular file found: its path and its path relative
// to the walked root, with "/" separators.
type WalkFunc func(path, rel string, fi fs.FileInfo) error

// ProblemFunc receives each entry that will not be uploaded and why. A
// skipped symlink comes with ErrSymlinkSkipped; anything else is a failure.
type ProblemFunc func(path string, err error)

// Walk visits the regular files under the directory root in name order.
// Nothing is left out silently: symlinks (unless follow), FIFOs, devices,
// sockets and unreadable entries all go to problem. With follow, symlinks
// to files and directories are followed, and a link back to a directory
// being walked is reported rather than looped on. Walk stops early only
// when ctx ends or fn returns an error.
func Walk(ctx context.Context, root string, follow bool, fn WalkFunc, problem ProblemFunc) error {
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	w := walker{ctx: ctx, follow: follow, fn: fn, problem: problem, active: map[fileID]bool{}}
	return w.dir(root, "", fi)
}

type fileID struct{ dev, ino uint64 }

type walker struct {
	ctx     context.Context
	follow  bool
	fn      WalkFunc
	problem ProblemFunc
	active  map[fileID]bool // directories on the current path, for loops
}

func (w *walker) dir(path, rel string, fi fs.FileInfo) error {
	if id, ok := idOf(fi); ok {
		if w.active[id] {
			w.problem(path, errors.New("symbolic link loop: the directory is already being uploaded"))
			return nil
		}
		w.active[id] = true
		defer delete(w.active, id)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		w.problem(path, err)
		// ReadDir may return some entries along with the error.
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(path, e.Name())
		r := e.Name()
		if rel != "" {
			r = rel + "/" + e.Name()
		}
		fi, err := e.Info()
		if err != nil {
			w.problem(p, err)
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if !w.follow {
				w.problem(p, ErrSymlinkSkipped)
				continue
			}
			if fi, err = os.Stat(p); err != nil {
				w.problem(p, fmt.Errorf("broken symbolic link: %w", err))
				continue
			}
		}
		switch {
		case fi.IsDir():
			if err := w.dir(p, r, fi); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := w.fn(p, r, fi); err != nil {
				return err
			}
		default:
			w.problem(p, &NotRegularError{Path: p, Mode: fi.Mode()})
		}
	}
	return nil
}

func idOf(fi fs.FileInfo) (fileID, bool) {
	dev, ino := devIno(fi)
	return fileID{dev: dev, ino: ino}, ino != 0
}
