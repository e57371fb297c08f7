package ship

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/ossx"
)

// OwnerError means another gtail — one with another state — ships the same
// file to the same destination: both would ship every line, each to its own
// objects.
type OwnerError struct {
	Key   string // the owner object
	Other string // what the owner object says of the other gtail
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("another gtail (%s) ships this file to this destination (owner object %s); stopping this file", e.Other, e.Key)
}

// Hint says how to go on.
func (e *OwnerError) Hint() string {
	return "run one gtail per file and destination, with one --state-dir; if the other gtail and its state are gone for good, delete the owner object " +
		e.Key + " (this gtail then ships the file again, to new objects)"
}

// Claim makes sure that the gtail whose state has the id owner is the one
// shipping a file: key (an object of its own per file and destination)
// names the owner. It is created if missing — with x-oss-forbid-overwrite,
// so that of two gtails starting at once one wins — and read otherwise. desc
// describes this gtail (host and state file) for the other's error message.
func (a *Appender) Claim(ctx context.Context, key, owner, desc string) error {
	for attempt := 1; ; attempt++ {
		other, err := a.readOwner(ctx, key)
		if err == nil && other == "" {
			// DoPutObject: PutObject looks a content type up even when one
			// is given, loading the system MIME database (see appendObject).
			var resp *oss.Response
			resp, err = a.Bucket.DoPutObject(&oss.PutObjectRequest{ObjectKey: key, Reader: strings.NewReader("owner " + owner + "\n" + desc + "\n")},
				[]oss.Option{oss.ForbidOverWrite(true), oss.WithContext(ctx), oss.ContentType("text/plain")})
			if resp != nil {
				resp.Body.Close()
			}
			var se oss.ServiceError
			if errors.As(err, &se) && se.StatusCode == http.StatusConflict {
				continue // another gtail created it meanwhile: read it
			}
			if err == nil {
				return nil
			}
		}
		if err == nil {
			id, rest, _ := strings.Cut(other, "\n")
			if id == "owner "+owner {
				return nil
			}
			return &OwnerError{Key: key, Other: strings.TrimSpace(rest)}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !a.transient(err) || (a.Bounded && attempt >= a.Retry.Attempts) {
			return fmt.Errorf("owner object %s: %w", key, err)
		}
		if logAttempt(attempt) {
			a.Log.Warn("owner object: retrying", "key", key, "attempt", attempt, "err", ossx.Message(err))
		}
		if err := sleep(ctx, a.Retry.Backoff(attempt)); err != nil {
			return err
		}
	}
}

// readOwner returns the owner object's first two lines ("" if missing).
func (a *Appender) readOwner(ctx context.Context, key string) (string, error) {
	r, err := a.Bucket.GetObject(key, oss.WithContext(ctx))
	var se oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer r.Close()
	s := bufio.NewScanner(r)
	var lines []string
	for len(lines) < 2 && s.Scan() {
		lines = append(lines, s.Text())
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	if len(lines) == 0 {
		lines = append(lines, "(an empty owner object)")
	}
	return strings.Join(lines, "\n"), nil
}
