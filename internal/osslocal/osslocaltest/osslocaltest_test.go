package osslocaltest_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func TestStart(t *testing.T) {
	ts := osslocaltest.Start(t)
	if !strings.HasPrefix(ts.Endpoint, "http://127.0.0.1:") || ts.Faults == nil || ts.Server == nil {
		t.Fatalf("TS = %+v", ts)
	}
	env := strings.Join(ts.Env(), "\n")
	for _, want := range []string{"OSS_ENDPOINT=" + ts.Endpoint, "OSS_ACCESS_KEY_ID=" + ts.AccessKeyID, "OSS_ACCESS_KEY_SECRET=" + ts.AccessKeySecret, "OSS_BUCKET=test-bucket"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env() lacks %s", want)
		}
	}
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket(ts.Bucket)
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
}

func TestStartOptions(t *testing.T) {
	ts := osslocaltest.Start(t, func(o *osslocal.Options) {
		o.Buckets = []string{"other"}
		o.Credentials = []osslocal.Credential{{ID: "id2", Secret: "secret2"}}
		o.DataDir = t.TempDir()
	})
	if ts.Bucket != "other" || ts.AccessKeyID != "id2" || ts.AccessKeySecret != "secret2" {
		t.Fatalf("TS = %+v", ts)
	}
	c, _ := oss.New(ts.Endpoint, "id2", "secret2")
	b, _ := c.Bucket("other")
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
}

func TestClosedAndSilentEndpoints(t *testing.T) {
	closed := osslocaltest.ClosedEndpoint(t)
	if _, err := http.Get(closed + "/"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET %s: %v, want connection refused", closed, err)
	}
	silent := osslocaltest.SilentEndpoint(t)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	var ne net.Error
	if _, err := c.Get(silent + "/"); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("GET %s: %v, want a timeout", silent, err)
	}
}
