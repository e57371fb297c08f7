//go:build unix

package ship

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

func newAppender(t *testing.T, gz bool) (*Appender, *osslocal.Faults) {
	ts := osslocaltest.Start(t)
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return &Appender{Bucket: b, Gzip: gz, Log: slog.New(slog.DiscardHandler),
		Retry: ossx.RetryPolicy{Base: time.Millisecond, Max: 5 * time.Millisecond}}, ts.Faults
}

// TestReconcileAhead: the object holds an append the state never recorded
// (gtail died in between). Reconcile accepts it only if it is the file's
// next bytes.
func TestReconcileAhead(t *testing.T) {
	for _, gz := range []bool{false, true} {
		a, _ := newAppender(t, gz)
		ctx := context.Background()
		file := []byte("one\ntwo\nthree\n")
		obj := Object{Key: "k"}
		obj, err := a.Append(ctx, obj, a.Encode(nil, file[:4]))
		if err != nil {
			t.Fatal(err)
		}
		state := obj // the state saved here
		if _, err := a.Append(ctx, obj, a.Encode(nil, file[4:8])); err != nil {
			t.Fatal(err)
		}
		got, n, err := a.Reconcile(ctx, state, bytes.NewReader(file), 4, int64(len(file)-4))
		if err != nil || n != 4 || got.Pos <= state.Pos {
			t.Fatalf("gzip=%v: Reconcile = %+v, %d, %v; want 4 bytes more", gz, got, n, err)
		}
		// The same object against a file whose next bytes differ: conflict.
		other := []byte("one\nTWO\nthree\n")
		_, _, err = a.Reconcile(ctx, state, bytes.NewReader(other), 4, int64(len(other)-4))
		var ce *ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("gzip=%v: Reconcile on other bytes = %v, want a conflict", gz, err)
		}
		// Nothing new: unchanged.
		if got2, n, err := a.Reconcile(ctx, got, bytes.NewReader(file), 8, 6); err != nil || n != 0 || got2 != got {
			t.Fatalf("gzip=%v: settled Reconcile = %+v %d %v", gz, got2, n, err)
		}
	}
}

// TestAppendLostAnswer: the append is carried out but the answer lost;
// Append finds it landed (HEAD) and does not send it twice.
func TestAppendLostAnswer(t *testing.T) {
	a, faults := newAppender(t, false)
	rules, _ := osslocal.ParseFaults("append:apply-then-fail:nth=2; head:error=503:nth=1")
	faults.Set(rules)
	ctx := context.Background()
	obj, err := a.Append(ctx, Object{Key: "k"}, []byte("a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if obj, err = a.Append(ctx, obj, []byte("b\n")); err != nil {
		t.Fatal(err)
	}
	if obj, err = a.Append(ctx, obj, []byte("c\n")); err != nil {
		t.Fatal(err)
	}
	r, _ := a.Bucket.GetObject("k")
	var buf bytes.Buffer
	buf.ReadFrom(r)
	r.Close()
	if buf.String() != "a\nb\nc\n" || obj.Pos != 6 {
		t.Fatalf("object %q (pos %d), want a b c once each", buf.String(), obj.Pos)
	}
	if faults.Fired(osslocal.OpAppend) != 1 {
		t.Fatal("the fault did not fire")
	}
}

// Encode with gzip makes one complete member per call, the same bytes for
// the same data however many compressors were used before.
func TestEncodeGzipMembers(t *testing.T) {
	a := &Appender{Gzip: true}
	first := a.Encode(nil, []byte("line one\n"))
	a.Encode(nil, bytes.Repeat([]byte("other data\n"), 5000))
	if again := a.Encode(nil, []byte("line one\n")); !bytes.Equal(again, first) {
		t.Fatalf("the same data encoded differently: %x then %x", first, again)
	}
	two := append(append([]byte{}, first...), a.Encode(nil, []byte("line two\n"))...)
	zr, err := gzip.NewReader(bytes.NewReader(two))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != "line one\nline two\n" {
		t.Fatalf("two members read as %q, %v", got, err)
	}
}
