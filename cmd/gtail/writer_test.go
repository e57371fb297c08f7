//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"
)

// logWriter plays the application: it appends numbered lines to path and
// remembers every byte it wrote, in order, across rotations.
type logWriter struct {
	t    *testing.T
	path string

	mu      sync.Mutex
	f       *os.File
	written bytes.Buffer
	n       int
	rotated int

	stop chan struct{}
	done chan struct{}
}

func newLogWriter(t *testing.T, path string) *logWriter {
	w := &logWriter{t: t, path: path, stop: make(chan struct{}), done: make(chan struct{})}
	w.open()
	return w
}

func (w *logWriter) open() {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	w.f = f
}

// line writes one line; some are long, some hold bytes that are not text.
func (w *logWriter) line() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	var b bytes.Buffer
	fmt.Fprintf(&b, "%08d %s ", w.n, time.Now().Format(time.RFC3339Nano))
	switch w.n % 50 {
	case 7:
		b.Write(bytes.Repeat([]byte("long "), 2000))
	case 13:
		b.Write([]byte{0, 0xff, '\r', 0xc3, 0x28})
	default:
		b.WriteString("GET /index.html 200")
	}
	b.WriteByte('\n')
	if _, err := w.f.Write(b.Bytes()); err != nil {
		w.t.Error(err)
	}
	w.written.Write(b.Bytes())
}

// start writes lines at about perSecond until Stop.
func (w *logWriter) start(perSecond int) {
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
				for range perSecond / 100 {
					w.line()
				}
			}
		}
	}()
}

func (w *logWriter) Stop() []byte {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	w.f.Close()
	return bytes.Clone(w.written.Bytes())
}

// rename rotates as logrotate does by default: rename, then the
// application reopens the path (a new, empty file).
func (w *logWriter) rename() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rotated++
	if err := os.Rename(w.path, fmt.Sprintf("%s.%d", w.path, w.rotated)); err != nil {
		w.t.Fatal(err)
	}
	// A late write to the old descriptor after the rename, as happens
	// before an application notices: it must still be shipped.
	w.f.Write([]byte("late line\n"))
	w.written.Write([]byte("late line\n"))
	w.f.Close()
	w.open()
}

// copyTruncate rotates as logrotate's copytruncate does: copy, then truncate
// the file in place. The writer is held meanwhile (logrotate itself loses
// lines written between the copy and the truncation).
func (w *logWriter) copyTruncate() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rotated++
	src, err := os.Open(w.path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(fmt.Sprintf("%s.%d", w.path, w.rotated))
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		w.t.Fatal(err)
	}
	dst.Close()
	if err := w.f.Truncate(0); err != nil {
		w.t.Fatal(err)
	}
}

func jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rand.Int64N(int64(hi-lo)))
}
