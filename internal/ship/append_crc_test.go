//go:build unix

package ship

import (
	"context"
	"errors"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
)

// TestAppendChecksCRCItself: with the SDK's CRC64 check off, a wrong CRC64
// in an append's answer is still caught — settled by HEAD, which here
// reports a wrong CRC64 too, so the file is stopped as a conflict instead
// of the append being taken as good.
func TestAppendChecksCRCItself(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		conflict bool
	}{
		{"append:corrupt-crc:nth=2", false},                  // only the answer was wrong: HEAD settles it
		{"append:corrupt-crc:nth=2; head:corrupt-crc", true}, // OSS insists: another writer
	} {
		a, faults := newAppender(t, false)
		a.Bucket.Client.Config.IsEnableCRC = false
		rules, err := osslocal.ParseFaults(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		faults.Set(rules)
		ctx := context.Background()
		obj, err := a.Append(ctx, Object{Key: "k"}, []byte("a\n"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Append(ctx, obj, []byte("b\n"))
		var ce *ConflictError
		if tc.conflict != errors.As(err, &ce) {
			t.Fatalf("%s: Append = %+v, %v; conflict expected: %v", tc.spec, got, err, tc.conflict)
		}
		if !tc.conflict && (got.Pos != 4 || err != nil) {
			t.Fatalf("%s: Append = %+v, %v; want position 4", tc.spec, got, err)
		}
	}
}
