package osslocal

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// x-oss-traffic-limit: a request may cap its own transfer speed, in bits
// per second between 819200 (100 KB/s) and 838860800 (100 MB/s); OSS
// reports the time it held the request back in x-oss-qos-delay-time, in
// milliseconds (https://www.alibabacloud.com/help/en/oss/user-guide/single-connection-bandwidth-throttling;
// SDK option.go TrafficLimitHeader/TrafficLimitParam).

const (
	minTrafficLimit = 819200
	maxTrafficLimit = 838860800
)

// trafficLimit returns the requested limit in bytes per second, 0 for none.
func trafficLimit(req *request) (int, error) {
	v := req.r.Header.Get("x-oss-traffic-limit")
	if v == "" {
		v = req.param("x-oss-traffic-limit")
	}
	if v == "" {
		return 0, nil
	}
	bits, err := strconv.Atoi(v)
	if err != nil || bits < minTrafficLimit || bits > maxTrafficLimit {
		return 0, invalidArgument("The x-oss-traffic-limit must be between %d and %d.", minTrafficLimit, maxTrafficLimit)
	}
	return bits / 8, nil
}

// throttle paces the bytes read or written through it.
type throttle struct {
	ctx    context.Context
	lim    *rate.Limiter
	chunk  int
	waited time.Duration
}

// newThrottle returns a throttle of bytesPerSec, nil for 0. Its burst is a
// twentieth of a second's worth, so even a small object is paced.
func newThrottle(ctx context.Context, bytesPerSec int) *throttle {
	if bytesPerSec == 0 {
		return nil
	}
	chunk := max(bytesPerSec/20, 1024)
	return &throttle{ctx: ctx, lim: rate.NewLimiter(rate.Limit(bytesPerSec), chunk), chunk: chunk}
}

func (t *throttle) wait(n int) error {
	start := time.Now()
	err := t.lim.WaitN(t.ctx, n)
	t.waited += time.Since(start)
	return err
}

func (t *throttle) reader(r io.Reader) io.Reader {
	if t == nil {
		return r
	}
	return readerFunc(func(p []byte) (int, error) {
		if len(p) > t.chunk {
			p = p[:t.chunk]
		}
		n, err := r.Read(p)
		if n > 0 {
			if werr := t.wait(n); werr != nil {
				return n, werr
			}
		}
		return n, err
	})
}

func (t *throttle) writer(w io.Writer) io.Writer {
	if t == nil {
		return w
	}
	return writerFunc(func(p []byte) (int, error) {
		written := 0
		for len(p) > 0 {
			n := min(len(p), t.chunk)
			if err := t.wait(n); err != nil {
				return written, err
			}
			m, err := w.Write(p[:n])
			written += m
			if err != nil {
				return written, err
			}
			p = p[n:]
		}
		return written, nil
	})
}

// report sets x-oss-qos-delay-time to the time held back so far.
func (t *throttle) report(w http.ResponseWriter) {
	if t != nil {
		w.Header().Set("x-oss-qos-delay-time", strconv.FormatInt(t.waited.Milliseconds(), 10))
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
