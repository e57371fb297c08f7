package progress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/ossx/ossx/internal/ossx"
)

// Console is where a tool that may draw a progress bar writes its lines:
// results on stdout, notices, warnings and errors on stderr. Each line is
// written under one lock with the bar cleared first, so lines and bar never
// interleave, and with control characters escaped (ossx.EscapeControl: one
// entry per line, whatever a key or file name holds) and secrets redacted.
type Console struct {
	Tool  string
	Quiet bool // Notice prints nothing; Print is still the caller's choice
	Bar   *Bar // nil: no bar (its methods do nothing)
	mu    sync.Mutex
}

// NewConsole returns tool's Console with the bar of --progress when (see
// OnStderr) unless off; quiet silences notices.
func NewConsole(tool, when string, off, quiet bool, verb string) *Console {
	c := &Console{Tool: tool, Quiet: quiet}
	c.Bar = OnStderr(when, off, verb, &c.mu)
	return c
}

// Print writes one result line to stdout.
func (c *Console) Print(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Bar.Clear()
	_, err := fmt.Fprintln(os.Stdout, ossx.EscapeControl(text))
	return err
}

// PrintJSON writes v as one JSON line to stdout (--json). HTML characters
// are not escaped: a presigned URL's & stays readable, as in ossls --json;
// control characters are JSON escapes (ossx.AppendJSON), never the \xNN of
// plain output, which would make the line invalid JSON.
func (c *Console) PrintJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Bar.Clear()
	_, err := os.Stdout.Write(ossx.AppendJSON(nil, buf.Bytes()))
	return err
}

// Notice prints information that --quiet silences.
func (c *Console) Notice(format string, args ...any) {
	if c.Quiet {
		return
	}
	c.stderr("", format, args...)
}

// Warn prints something the user must know; shown even with --quiet.
func (c *Console) Warn(format string, args ...any) { c.stderr("warning: ", format, args...) }

func (c *Console) stderr(label, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Bar.Clear()
	fmt.Fprintf(os.Stderr, "%s: %s%s\n", c.Tool, label, ossx.EscapeControl(ossx.Redact(fmt.Sprintf(format, args...))))
}

// Report prints err as the tool's error and hint lines (ossx.Report).
func (c *Console) Report(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Bar.Clear()
	ossx.Report(os.Stderr, c.Tool, err)
}

// Start names the item now in progress on the bar.
func (c *Console) Start(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Bar.Start(name)
}

// Finish removes the bar for good.
func (c *Console) Finish() { c.Bar.Finish() }
