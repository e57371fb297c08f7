//go:build unix

package tail

import (
	"path/filepath"
	"testing"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
	"github.com/ossx/ossx/internal/ship"
)

// TestClaimSavesOwnerFirst: the state's owner id is on disk before the owner
// object naming it exists. Before, a fresh state was saved only after the
// first append, so a gtail killed between its claim and that save came back
// with a new id and stopped the file for good as "another gtail" — itself
// (seen in TestKillLoop under load). The kill is the state closed without a
// save right after the claim.
func TestClaimSavesOwnerFirst(t *testing.T) {
	ts := osslocaltest.Start(t)
	_, app, log, _ := shipTo(t, ts, ts.Endpoint)
	dir := filepath.Join(t.TempDir(), "state")
	dest := "oss://" + ts.Bucket + "/logs/"
	o := Options{Dest: ossx.URL{Bucket: ts.Bucket, Key: "logs/"}, Host: "h"}

	st, err := ship.Open(dir, dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := newTailer(o, st, app, log).claim("/var/log/app.log"); err != nil {
		t.Fatal(err)
	}
	first := st.Owner
	st.Close() // killed: nothing else saved

	st, err = ship.Open(dir, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Owner != first {
		t.Fatalf("the restarted state has owner %q, the owner object names %q", st.Owner, first)
	}
	if err := newTailer(o, st, app, log).claim("/var/log/app.log"); err != nil {
		t.Fatalf("the restarted gtail cannot claim its own file: %v", err)
	}
}
