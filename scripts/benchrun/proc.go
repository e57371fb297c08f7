package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Usage is what one whole process cost: wall time, CPU and peak RSS.
//
// Wall and CPU come from the rusage wait4 returns (ProcessState). Peak RSS
// cannot: Go starts children with clone(CLONE_VM|CLONE_VFORK), and Linux
// folds the high-water RSS of the address space the child execs from — the
// harness's own, 10–20 MiB — into the child's ru_maxrss. So peak RSS comes
// from GNU time (/usr/bin/time -f %M) wrapped around the command: time
// forks from its own ~1 MiB image, so its report is off by at most that;
// or, for a long-running process, from VmHWM in /proc/PID/status, which is
// per address space and clean. MaxRSS 0 means not measured.
type Usage struct {
	Wall   time.Duration
	User   time.Duration
	Sys    time.Duration
	MaxRSS int64 // bytes
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// proc is a command with the environment every tool run gets.
type proc struct {
	env     []string
	timeBin string // GNU time, when installed
	work    string // scratch directory for time's reports
}

func (p proc) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), p.env...)
	// In the scratch directory: ossutil writes its checkpoints
	// (.ossutil_checkpoint) and reports (ossutil_output) into the current one.
	c.Dir = p.work
	return c
}

// run runs name with args to completion (stdout to /dev/null) under GNU
// time when there is one, and returns its usage, peak RSS included. The
// wrapper adds about a millisecond of wall time; runBare avoids it.
func (p proc) run(name string, args ...string) (Usage, error) {
	return p.runCmd(p.command(name, args...))
}

// runBare runs name with args without the time wrapper: wall time and CPU
// only.
func (p proc) runBare(name string, args ...string) (Usage, error) {
	u, err := p.exec(p.command(name, args...))
	u.MaxRSS = 0
	return u, err
}

// runCmd runs c (built by command) under GNU time when there is one.
func (p proc) runCmd(c *exec.Cmd) (Usage, error) {
	if p.timeBin == "" {
		u, err := p.exec(c)
		u.MaxRSS = 0
		return u, err
	}
	f, err := os.CreateTemp(p.work, "time-")
	if err != nil {
		return Usage{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	c.Args = append([]string{p.timeBin, "-f", "%M", "-o", f.Name(), "--"}, c.Args...)
	c.Path = p.timeBin
	u, err := p.exec(c)
	if err != nil {
		return u, err
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return u, err
	}
	// The last line is the format; time may write a status line first.
	lines := strings.Fields(strings.TrimSpace(string(b)))
	if len(lines) == 0 {
		return u, fmt.Errorf("empty report from %s", p.timeBin)
	}
	kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		return u, fmt.Errorf("report from %s: %q", p.timeBin, b)
	}
	u.MaxRSS = kb * 1024
	return u, nil
}

func (p proc) exec(c *exec.Cmd) (Usage, error) {
	var stderr bytes.Buffer
	if c.Stderr == nil {
		c.Stderr = &stderr
	}
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if err != nil {
		return Usage{}, fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, lastLines(stderr.String(), 5))
	}
	return usageOf(c.ProcessState, wall), nil
}

// usageOf reads wall time and CPU; wait4's ru_maxrss is not used (see
// Usage).
func usageOf(ps *os.ProcessState, wall time.Duration) Usage {
	return Usage{Wall: wall, User: ps.UserTime(), Sys: ps.SystemTime()}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// procCPU reads the CPU time a running process has used so far from
// /proc/PID/stat (utime and stime, fields 14 and 15, in clock ticks).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; it ends at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	const hz = 100 // USER_HZ, fixed at 100 on Linux for /proc
	return time.Duration(ut+st) * time.Second / hz, nil
}

// procRSS returns a running process's current and peak RSS (VmRSS, VmHWM).
func procRSS(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch name {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			hwm = n * 1024
		}
	}
	return rss, hwm, nil
}
