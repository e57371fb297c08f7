package keytmpl

import "testing"

func TestIsBookkeeping(t *testing.T) {
	for key, want := range map[string]bool{
		".gtail/owner/h/var/log/a.log":          true,
		"logs/.gtail/owner/h/var/log/a.log":     true,
		"logs/h/var/log/a.log/2026-12-05/0001":  false,
		"logs/x.gtail/owner/h/a.log":            false, // not a segment of its own
		"logs/h/var/log/.gtail-not-ours/0001":   false,
		"logs/h/var/log/app.gtail/2026-12-05/1": false,
	} {
		if got := IsBookkeeping(key); got != want {
			t.Errorf("IsBookkeeping(%q) = %v, want %v", key, got, want)
		}
	}
}
