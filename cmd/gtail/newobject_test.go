//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
)

// TestNewObjectLoggedOnlyWhenCreated (issue 12.7): "new object" is said
// once the first append to it succeeded, never for an append that failed.
func TestNewObjectLoggedOnlyWhenCreated(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	if err := os.WriteFile(p, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := osslocal.ParseFaults("append:error=403")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.faults.Set(rules); err != nil {
		t.Fatal(err)
	}
	code, stderr := e.run("--once", "--retries=0", p, "oss://"+testBucket+"/")
	if code == 0 || strings.Contains(stderr, "new object") || e.faults.Fired(osslocal.OpAppend) == 0 {
		t.Errorf("failing append: exit %d, fired %d, stderr:\n%s\nwant a failure and no \"new object\"", code, e.faults.Fired(osslocal.OpAppend), stderr)
	}
	e.faults.Clear()
	code, stderr = e.run("--once", p, "oss://"+testBucket+"/")
	if code != 0 || strings.Count(stderr, "new object") != 1 || len(e.objects("")) != 1 {
		t.Errorf("append that works: exit %d, objects %q, stderr:\n%s\nwant one \"new object\"", code, e.objects(""), stderr)
	}
}
