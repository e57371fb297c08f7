package osslocal_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestSymlink follows the SDK's own TestSymlink (oss/bucket_test.go).
func TestSymlink(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	_, err := b.GetSymlink("link")
	wantCode(t, err, 404, "NoSuchKey")
	if err := b.PutSymlink("link", "dir/target name"); err != nil {
		t.Fatal(err)
	}
	_, err = b.GetObject("link")
	wantCode(t, err, 404, "SymlinkTargetNotExist")
	put(t, b, "dir/target name", []byte("target"), oss.ContentType("text/plain"))
	h, err := b.GetSymlink("link")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Symlink-Target") != "dir/target name" {
		t.Fatalf("target %q", h.Get("X-Oss-Symlink-Target"))
	}
	if got := get(t, b, "link"); string(got) != "target" {
		t.Fatalf("GET link = %q", got)
	}
	hh, err := b.GetObjectDetailedMeta("link")
	if err != nil {
		t.Fatal(err)
	}
	if hh.Get("Content-Length") != "6" || hh.Get("X-Oss-Object-Type") != "Symlink" || hh.Get("Content-Type") != "text/plain" {
		t.Fatalf("HEAD link: %v", hh)
	}
	lor, err := b.ListObjects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range lor.Objects {
		if o.Key == "link" && o.Type != "Symlink" {
			t.Fatalf("listed link type %q", o.Type)
		}
	}
	_, err = b.GetSymlink("dir/target name")
	wantCode(t, err, 400, "NotSymlink")

	if err := b.PutSymlink("link2", "link"); err != nil {
		t.Fatal(err)
	}
	_, err = b.GetObject("link2")
	wantCode(t, err, 400, "InvalidTargetType")

	// A PUT replaces the link with an object.
	put(t, b, "link", []byte("src"))
	if got := get(t, b, "link"); string(got) != "src" {
		t.Fatalf("GET replaced link = %q", got)
	}
}

func TestRestoreObject(t *testing.T) {
	var clk clock
	ts := osslocaltest.Start(t, withClock(&clk), func(o *osslocal.Options) { o.RestoreDelay = time.Minute })
	b := bucket(t, ts)
	put(t, b, "std", []byte("s"))
	wantCode(t, b.RestoreObject("std"), 400, "OperationNotSupported")
	wantCode(t, b.RestoreObject("missing"), 404, "NoSuchKey")

	put(t, b, "arch", []byte("cold"), oss.ObjectStorageClass(oss.StorageArchive))
	h, _ := b.GetObjectDetailedMeta("arch")
	if _, ok := h["X-Oss-Restore"]; ok {
		t.Fatal("x-oss-restore before any restore")
	}
	_, err := b.GetObject("arch")
	wantCode(t, err, 403, "InvalidObjectState")
	_, err = b.CopyObject("arch", "copy")
	wantCode(t, err, 403, "InvalidObjectState")

	resp, err := b.Do("POST", "arch", map[string]any{"restore": nil}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("first restore: %d, want 202", resp.StatusCode)
	}
	h, _ = b.GetObjectDetailedMeta("arch")
	if h.Get("X-Oss-Restore") != `ongoing-request="true"` {
		t.Fatalf("x-oss-restore while restoring: %q", h.Get("X-Oss-Restore"))
	}
	lor, _ := b.ListObjects(oss.Prefix("arch"))
	if len(lor.Objects) != 1 || lor.Objects[0].RestoreInfo != `ongoing-request="true"` {
		t.Fatalf("listing: %+v", lor.Objects)
	}
	wantCode(t, b.RestoreObject("arch"), 409, "RestoreAlreadyInProgress")
	_, err = b.GetObject("arch")
	wantCode(t, err, 403, "InvalidObjectState")

	clk.add(2 * time.Minute)
	h, _ = b.GetObjectDetailedMeta("arch")
	if !strings.HasPrefix(h.Get("X-Oss-Restore"), `ongoing-request="false", expiry-date="`) {
		t.Fatalf("x-oss-restore when restored: %q", h.Get("X-Oss-Restore"))
	}
	if got := get(t, b, "arch"); string(got) != "cold" {
		t.Fatalf("restored body %q", got)
	}
	resp, err = b.Do("POST", "arch", map[string]any{"restore": nil}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("restore of a restored object: %d, want 200", resp.StatusCode)
	}

	// The restored copy expires after its days. Signed requests would be
	// too far from the moved clock: read anonymously.
	if err := b.SetObjectACL("arch", oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	anon := func() int {
		resp, err := http.Get(ts.Endpoint + "/" + ts.Bucket + "/arch")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := anon(); code != 200 {
		t.Fatalf("anonymous GET of the restored object: %d", code)
	}
	clk.add(48 * time.Hour)
	if code := anon(); code != 403 {
		t.Fatalf("GET after the restored copy expired: %d, want 403", code)
	}
	clk.add(-48 * time.Hour)

	put(t, b, "cold", []byte("c"), oss.ObjectStorageClass(oss.StorageColdArchive))
	resp, err = b.Do("POST", "cold", map[string]any{"restore": nil}, nil, strings.NewReader("<RestoreRequest><Days>2</Days><JobParameters><Tier>Bulk</Tier></JobParameters></RestoreRequest>"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Headers.Get("X-Oss-Object-Restore-Priority") != "Bulk" {
		t.Fatalf("cold restore: %d %v", resp.StatusCode, resp.Headers)
	}
}

// TestSymlinkUserMetadata: HEAD of a link answers the target's data with
// the link's own x-oss-meta-* (ali-oss's symlink() test).
func TestSymlinkUserMetadata(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	put(t, b, "target", []byte("data"), oss.Meta("from", "target"))
	if err := b.PutSymlink("link", "target", oss.Meta("uid", "1")); err != nil {
		t.Fatal(err)
	}
	h, err := b.GetObjectDetailedMeta("link")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Meta-Uid") != "1" || h.Get("X-Oss-Meta-From") != "" || h.Get("Content-Length") != "4" {
		t.Fatalf("HEAD link: %v", h)
	}
}
