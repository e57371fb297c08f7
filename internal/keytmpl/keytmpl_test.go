package keytmpl

import (
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	at := time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC)
	v := Vars{Host: "web-1", Path: "/var/log/app.log", Time: at, Gen: "20261121T090000.000Z", Seq: 3}
	for _, tc := range []struct{ tmpl, want string }{
		{Default, "web-1/var/log/app.log/2026-11-21/20261121T090000.000Z-0003"},
		{"logs/{file}.{date}T{hour}.{gen}.gz", "logs/app.log.2026-11-21T09.20261121T090000.000Z-0003.gz"},
		{"{gen}", "20261121T090000.000Z-0003"},
	} {
		tm, err := Parse(tc.tmpl)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.tmpl, err)
		}
		if got := tm.Expand(v); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}

func TestNextGenID(t *testing.T) {
	at := time.Date(2026, 11, 21, 9, 5, 0, 250e6, time.UTC)
	first := NextGenID(at, "")
	if first != "20261121T090500.250Z" {
		t.Fatalf("NextGenID = %q", first)
	}
	second := NextGenID(at, first)
	if second != "20261121T090500.251Z" {
		t.Fatalf("NextGenID again = %q", second)
	}
	if third := NextGenID(at.Add(-time.Hour), second); third <= second {
		t.Fatalf("NextGenID after the clock went back = %q, not after %q", third, second)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ tmpl, want string }{
		{"{host}/{path}", "no {gen}"},
		{"{gen}/{nope}", "unknown field {nope}"},
		{"{gen}/{date", "unclosed"},
		{"/{gen}", "must not start"},
		{"{path}/{gen}/", "must not end"},
		{"{gen}\tx", "control character at byte 5"},
		{"{gen}\xff", "not valid UTF-8"},
	} {
		_, err := Parse(tc.tmpl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.tmpl, err, tc.want)
		}
	}
}

func TestUsesTime(t *testing.T) {
	for tmpl, want := range map[string]bool{Default: true, "{path}/{gen}": false, "{hour}{gen}": true} {
		tm, err := Parse(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if tm.UsesTime() != want {
			t.Errorf("%q UsesTime = %v", tmpl, !want)
		}
	}
}

// TestSeqSorts: object keys of one generation sort in object order past
// 9,999 objects (%04d put 10000 between 1000 and 1001), and keys written
// before (four digits) keep their place.
func TestSeqSorts(t *testing.T) {
	tm, _ := Parse("{gen}")
	ns := []int{0, 1, 9, 10, 999, 1000, 1001, 9999, 10000, 10001, 99999, 100000, 999999, 1000000, 123456789}
	var prev string
	for _, n := range ns {
		k := tm.Expand(Vars{Gen: "G", Seq: n})
		if prev != "" && k <= prev {
			t.Errorf("seq %d: key %q sorts before %q", n, k, prev)
		}
		prev = k
	}
	if k := tm.Expand(Vars{Gen: "G", Seq: 3}); k != "G-0003" {
		t.Errorf("seq 3 = %q, want G-0003 as before", k)
	}
}
