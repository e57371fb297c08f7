package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestSoakListingMemory lists a few hundred thousand keys through the real
// binary and checks its peak resident memory, sampled while it streams,
// stays at a few pages' worth.
// Filling osslocal takes a minute or two, hence OSSX_SOAK=1 (make soak).
func TestSoakListingMemory(t *testing.T) {
	if os.Getenv("OSSX_SOAK") != "1" {
		t.Skip("set OSSX_SOAK=1 to run")
	}
	const n = 300_000
	srv := osslocaltest.Start(t)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("logs/%03d/%07d.log", i%1000, i)
	}
	putAll(t, sdkBucket(t, srv, srv.Bucket), keys)

	for _, format := range []string{"", "-l", "--json"} {
		args := []string{"-r", "--summary", "oss://" + srv.Bucket + "/"}
		if format != "" {
			args = append([]string{format}, args...)
		}
		cmd := exec.Command("ossls", args...)
		cmd.Env = env(t, srv)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines, last, peak := 0, "", 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if lines++; lines%10_000 == 0 {
				peak = max(peak, vmHWM(t, cmd.Process.Pid))
			}
			last = sc.Text()
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("ossls %s: %v", format, err)
		}
		if lines != n+1 || !strings.Contains(last, fmt.Sprint(n)) {
			t.Fatalf("ossls %s: %d lines ending %q, want %d keys and the summary", format, lines, last, n)
		}
		t.Logf("ossls -r %s over %d keys: peak RSS %d KiB", format, n, peak)
		if peak > 64<<10 {
			t.Errorf("ossls -r %s: peak RSS %d KiB, want under 64 MiB", format, peak)
		}
	}
}

// vmHWM is the peak resident set of a running process in KiB. Not
// getrusage: its maxrss carries over the parent's (this test's, holding
// the whole osslocal store) across the fork and exec.
func vmHWM(t *testing.T, pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib)
			return kib
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
