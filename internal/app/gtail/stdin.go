package gtail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// shipStdin ships standard input ("-") until EOF or a stop signal. There is
// no state: a pipe cannot be re-read, so across a crash of gtail the bytes
// it had read and not yet shipped are gone (the writer's side of the pipe
// sees EPIPE). While it runs, the same exactly-once appends are used, and
// memory stays bounded: gtail stops reading while an append is retried.
func shipStdin(ctx context.Context, o options, dest ossx.URL, app *ship.Appender, log *slog.Logger) error {
	var buf []byte // read, not yet shipped
	err := pipeStdin(ctx, o, dest, app, log, &buf)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return fmt.Errorf("%w: %d bytes of standard input read and not shipped within --shutdown-timeout are lost (a pipe cannot be read again)",
			ossx.ErrInterrupted, len(buf))
	}
	return err
}

func pipeStdin(ctx context.Context, o options, dest ossx.URL, app *ship.Appender, log *slog.Logger, bufp *[]byte) error {
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	go func() {
		for {
			b := make([]byte, min(o.flushBytes, 256<<10))
			n, err := o.stdin.Read(b)
			chunks <- chunk{b[:n], err}
			if err != nil {
				return
			}
		}
	}()
	gen := keytmpl.NextGenID(time.Now(), "")
	seq := -1
	var obj ship.Object
	shipCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The allowance starts at the signal, also when an append is being
	// retried through an outage and the loop below is not listening.
	go func() {
		select {
		case <-ctx.Done():
			time.AfterFunc(o.shutdownTimeout, cancel)
		case <-shipCtx.Done():
		}
	}()
	var enc []byte // the last gzip body, its buffer reused (Appender.Encode)
	send := func(data []byte) error {
		now := time.Now()
		if !o.localTime {
			now = now.UTC()
		}
		body := app.Encode(enc, data)
		if app.Gzip {
			enc = body
		}
		if seq < 0 || obj.Pos+int64(len(body)) > o.rollSize ||
			(o.key.UsesTime() && dest.Key+o.key.Expand(keytmpl.Vars{Host: o.host, Path: "stdin", Time: now, Gen: gen, Seq: seq}) != obj.Key) {
			seq++
			obj = ship.Object{Key: dest.Key + o.key.Expand(keytmpl.Vars{Host: o.host, Path: "stdin", Time: now, Gen: gen, Seq: seq})}
		}
		fresh := obj.Pos == 0
		var err error
		if obj, err = app.Append(shipCtx, obj, body); err != nil {
			return err
		}
		if fresh {
			// Said once the object exists: the first append may fail.
			log.Info("new object", "path", "-", "key", obj.Key)
		}
		if o.echo {
			o.stdout.Write(data)
		}
		return nil
	}
	buf := *bufp
	defer func() { *bufp = buf }()
	flush := func(all bool) error {
		for len(buf) > 0 {
			n := len(buf)
			if !all {
				n = bytes.LastIndexByte(buf, '\n') + 1
			}
			n = min(n, o.flushBytes)
			if n == 0 {
				return nil
			}
			if err := send(buf[:n]); err != nil {
				return err
			}
			buf = append(buf[:0], buf[n:]...)
		}
		return nil
	}
	interval := time.NewTicker(o.flushInterval)
	defer interval.Stop()
	lastRead := time.Now()
	stop := ctx.Done()
	for {
		select {
		case c := <-chunks:
			buf = append(buf, c.b...)
			lastRead = time.Now()
			if c.err != nil {
				if err := flush(true); err != nil {
					return err
				}
				if errors.Is(c.err, io.EOF) {
					return nil
				}
				return c.err
			}
			if len(buf) >= o.flushBytes {
				if err := flush(false); err != nil {
					return err
				}
				if len(buf) >= o.flushBytes { // one line longer than --flush-bytes
					if err := flush(true); err != nil {
						return err
					}
				}
			}
		case <-interval.C:
			if err := flush(time.Since(lastRead) >= o.partialTimeout); err != nil {
				return err
			}
		case <-stop:
			// Say so, as the file mode does: on a terminal ^C would
			// otherwise end gtail without a word.
			log.Info("stopping: shipping what is left", "path", "-")
			if err := flush(true); err != nil {
				return err
			}
			log.Info("stopped", "path", "-")
			return nil
		}
	}
}
