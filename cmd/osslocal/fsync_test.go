//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// TestFsyncBeforeAnswer runs osslocal under strace, makes one write of
// each kind, one at a time, and checks the order of its system calls: a
// file is fsynced before it is renamed into place, and every directory
// entry a write made (a rename, a new directory, a removed object) is
// fsynced in its directory before the 2xx answer goes out, so that an
// acknowledged write survives a power loss, not only a kill -9. Skips
// without strace (.ci/run installs it) or where ptrace is not allowed.
func TestFsyncBeforeAnswer(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed: the fsync order is not checked")
	}
	if out, err := exec.Command(strace, "-qq", "-o", "/dev/null", "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v: %s", err, bytes.TrimSpace(out))
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace")
	data := filepath.Join(dir, "data")
	p := startProc(t, data)
	// Attach to every thread of the server.
	st := exec.Command(strace, "-f", "-s", "16", "-o", trace, "-p", strconv.Itoa(p.cmd.Process.Pid),
		"-e", "trace=openat,mkdirat,fsync,fdatasync,close,renameat,renameat2,unlinkat,accept4,write")
	msgs, err := st.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Process.Kill(); _ = st.Wait() })
	// "Process N attached with M threads" comes once all are.
	sc := bufio.NewScanner(msgs)
	var said []string
	for sc.Scan() && !strings.Contains(sc.Text(), " attached") {
		said = append(said, sc.Text())
	}
	if !strings.Contains(sc.Text(), " attached") {
		// Yama's ptrace_scope lets strace trace its children only.
		t.Skipf("strace cannot attach to osslocal: %s", strings.Join(said, "; "))
	}
	go func() { _, _ = io.Copy(io.Discard, msgs) }()
	b := p.b
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check("PutBucket", p.c.CreateBucket("second"))
	b2, _ := p.c.Bucket("second")
	check("PUT", b2.PutObject("k", strings.NewReader("first object of a bucket")))
	check("PUT", b.PutObject("k", strings.NewReader("v1")))
	check("PUT over", b.PutObject("k", strings.NewReader("v2")))
	_, err = b.AppendObject("log", strings.NewReader("one"), 0)
	check("append", err)
	_, err = b.AppendObject("log", strings.NewReader("two"), 3)
	check("append", err)
	up, err := b2.InitiateMultipartUpload("mp")
	check("initiate", err)
	part, err := b2.UploadPart(up, strings.NewReader("part"), 4, 1)
	check("UploadPart", err)
	_, err = b2.CompleteMultipartUpload(up, []oss.UploadPart{part})
	check("complete", err)
	up, err = b2.InitiateMultipartUpload("aborted")
	check("initiate", err)
	check("abort", b2.AbortMultipartUpload(up))
	_, err = b.CopyObject("k", "copy")
	check("copy", err)
	check("delete", b.DeleteObject("copy"))
	_, err = b.DeleteObjects([]string{"k", "log"})
	check("DeleteMultipleObjects", err)
	check("PutBucketTagging", p.c.SetBucketTagging("crash", oss.Tagging{Tags: []oss.Tag{{Key: "a", Value: "b"}}}))
	// strace detaches on SIGINT.
	_ = st.Process.Signal(os.Interrupt)
	_ = st.Wait()
	p.stop(t)

	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	answers := checkFsyncOrder(t, f, data)
	if answers < 15 {
		t.Fatalf("saw %d answers in the trace, want one per request", answers)
	}
}

var (
	straceLine = regexp.MustCompile(`^(\d+) +(.*)$`)
	straceCall = regexp.MustCompile(`^(\w+)\((.*)\) += (-?\d+)`)
	quoted     = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// checkFsyncOrder reads an strace -f log and reports every 2xx answer
// written while a directory entry under data was not yet synced, and every
// rename of a file that was not synced. It returns the number of answers.
func checkFsyncOrder(t *testing.T, log *os.File, data string) int {
	t.Helper()
	fds := map[string]string{}     // fd → path (the threads share one table)
	synced := map[string]bool{}    // files fsynced since they were opened
	pending := map[string]string{} // directory → the entry not yet synced in it
	sockets := map[string]bool{}
	unfinished := map[string]string{}
	answers := 0
	under := func(p string) bool { return strings.HasPrefix(p, data+"/") || p == data }
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := straceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pid, rest := m[1], m[2]
		if i := strings.Index(rest, " <unfinished ...>"); i >= 0 {
			unfinished[pid] = rest[:i]
			continue
		}
		if strings.HasPrefix(rest, "<... ") {
			i := strings.Index(rest, " resumed>")
			if i < 0 {
				continue
			}
			rest = unfinished[pid] + rest[i+len(" resumed>"):]
			delete(unfinished, pid)
		}
		c := straceCall.FindStringSubmatch(rest)
		if c == nil {
			continue
		}
		name, args, ret := c[1], c[2], c[3]
		paths := quoted.FindAllStringSubmatch(args, -1)
		first := ""
		if len(paths) > 0 {
			first = paths[0][1]
		}
		fd := strings.SplitN(args, ",", 2)[0]
		if ret == "-1" || strings.HasPrefix(ret, "-") {
			continue
		}
		switch name {
		case "openat":
			fds[ret] = filepath.Clean(first)
			delete(synced, fds[ret])
		case "accept4":
			sockets[ret] = true
		case "close":
			delete(fds, fd)
			delete(sockets, fd)
		case "fsync", "fdatasync":
			if path, ok := fds[fd]; ok {
				synced[path] = true
				delete(pending, path)
			}
		case "mkdirat":
			if p := filepath.Clean(first); under(p) {
				pending[filepath.Dir(p)] = "new directory " + p
			}
		case "renameat", "renameat2":
			if len(paths) < 2 {
				continue
			}
			from, to := filepath.Clean(paths[0][1]), filepath.Clean(paths[1][1])
			if !under(to) {
				continue
			}
			if !synced[from] {
				t.Errorf("%s renamed to %s unsynced", from, to)
			}
			pending[filepath.Dir(to)] = "rename to " + to
		case "unlinkat":
			p := filepath.Clean(first)
			if !under(p) || strings.Contains(p, "/tmp/") || strings.Contains(p, "/blobs/") || strings.HasPrefix(filepath.Base(p), ".tmp-") {
				continue // garbage: a crash leaves it to the next start
			}
			if strings.Contains(args, "AT_REMOVEDIR") {
				for d := range pending {
					if strings.HasPrefix(d, p+"/") || d == p {
						delete(pending, d)
					}
				}
			}
			pending[filepath.Dir(p)] = "removal of " + p
		case "write":
			if !sockets[fd] || !strings.HasPrefix(first, "HTTP/1.1 2") {
				continue
			}
			answers++
			for d, what := range pending {
				t.Errorf("answer %d (%s) sent before %s was synced in %s", answers, strconv.Quote(first), what, d)
			}
			clear(pending)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return answers
}
