//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFollowPartialAndEcho: following, a trailing line without newline is
// shipped once it is --partial-timeout old, without waiting for a stop, and
// --stdout echoes exactly what is shipped.
func TestFollowPartialAndEcho(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.logs, "app.log")
	want := "one\r\ntwo\x00\nno newline yet"
	os.WriteFile(p, []byte(want), 0o644)
	c, stderr := e.cmd("--stdout", p, "oss://"+testBucket+"/")
	var stdout syncBuffer
	c.Stdout = &stdout
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	waitFor(t, "the partial line shipped", func() bool { return string(e.shipped(prefixOf(p), false)) == want }, stderr)
	waitFor(t, "the echo", func() bool { return stdout.String() == want }, stderr)
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("gtail: %v\n%s", err, stderr)
	}
	if stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
}

// TestLocalTime: {date} and {hour} are UTC unless --local-time.
func TestLocalTime(t *testing.T) {
	zone, err := time.LoadLocation("Etc/GMT-14") // UTC+14: never the UTC date and hour
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, tc := range []struct {
		flag string
		loc  *time.Location
	}{{"--host=utc", time.UTC}, {"--local-time", zone}} {
		e := newEnv(t)
		p := filepath.Join(e.logs, "app.log")
		os.WriteFile(p, []byte("x\n"), 0o644)
		before := time.Now().In(tc.loc).Format("2006-01-02/15")
		c, stderr := e.cmd("--once", tc.flag, "--key={date}/{hour}/{gen}", p, "oss://"+testBucket+"/t/")
		c.Env = append(c.Env, "TZ=Etc/GMT-14")
		if err := c.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.flag, err, stderr)
		}
		after := time.Now().In(tc.loc).Format("2006-01-02/15")
		keys := e.objects("t/")
		if len(keys) != 1 || (!strings.HasPrefix(keys[0], "t/"+before+"/") && !strings.HasPrefix(keys[0], "t/"+after+"/")) {
			t.Errorf("%s: keys %q, want t/%s/…", tc.flag, keys, before)
		}
	}
}

// TestStdinSigtermWhileOSSDown: shipping standard input, a stop while
// appends are being retried through an outage ends within
// --shutdown-timeout (status 130), saying how much read input is lost.
func TestStdinSigtermWhileOSSDown(t *testing.T) {
	r := startRestartable(t)
	args := append([]string{"--shutdown-timeout=300ms"}, fastFlags...)
	c := exec.Command("gtail", append(args, "-", "oss://"+testBucket+"/")...)
	c.Env = r.env()
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	in.Write([]byte("shipped\n"))
	waitFor(t, "the first line shipped", func() bool { return bytes.Equal(r.shipped("stdin/"), []byte("shipped\n")) }, &stderr)
	r.stop()
	in.Write([]byte("during the outage\n"))
	waitFor(t, "an append to fail", func() bool { return strings.Contains(stderr.String(), "connection refused") }, &stderr)
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("gtail did not stop:\n%s", stderr.String())
	}
	if code := c.ProcessState.ExitCode(); code != 130 ||
		!strings.Contains(stderr.String(), "gtail: error: interrupted: 18 bytes of standard input read and not shipped") {
		t.Fatalf("exit %d, want 130 and the bytes lost:\n%s", code, stderr.String())
	}
}

// TestStdinSigintLogsStop: Ctrl-C while shipping standard input ships what
// was read, logs that gtail stopped and exits 0.
func TestStdinSigintLogsStop(t *testing.T) {
	r := startRestartable(t)
	c := exec.Command("gtail", append(fastFlags, "-", "oss://"+testBucket+"/")...)
	c.Env = r.env()
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	in.Write([]byte("shipped\n"))
	waitFor(t, "the first line shipped", func() bool { return bytes.Equal(r.shipped("stdin/"), []byte("shipped\n")) }, &stderr)
	c.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("gtail did not stop:\n%s", stderr.String())
	}
	if code := c.ProcessState.ExitCode(); code != 0 || !strings.Contains(stderr.String(), "stopped") {
		t.Fatalf("exit %d, want 0 and a line saying gtail stopped:\n%s", code, stderr.String())
	}
}
