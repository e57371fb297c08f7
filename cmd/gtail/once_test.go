//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestOnceBinary(t *testing.T) {
	e := newEnv(t)
	var want []byte
	want = append(want, "plain line\r\n"...)
	want = append(want, 0, 1, 2, 0xff, 0xfe, '\n')
	want = append(want, bytes.Repeat([]byte("x"), 10<<20)...)
	want = append(want, '\n')
	want = append(want, "last line without newline"...)
	p := filepath.Join(e.logs, "app.log")
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := e.run("--once", "--partial-timeout=1h", p, "oss://"+testBucket+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The partial line is young: not shipped yet.
	sameBytes(t, e.shipped(prefixOf(p), false), want[:bytes.LastIndexByte(want, '\n')+1])
	code, stderr = e.run("--once", "--partial-timeout=1ns", p, "oss://"+testBucket+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameBytes(t, e.shipped(prefixOf(p), false), want)
	if keys := e.objects(prefixOf(p)); len(keys) != 1 {
		t.Errorf("objects %q, want one", keys)
	}
}
