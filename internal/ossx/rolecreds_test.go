package ossx

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// flakyMetadata fails the first failures credential fetches with a 500, as
// a metadata service having a bad moment does, then answers like md.
type flakyMetadata struct {
	md       *metadataServer
	mu       sync.Mutex
	failures int
}

func (f *flakyMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/security-credentials/") && f.failures > 0
	if fail {
		f.failures--
	}
	f.mu.Unlock()
	if fail {
		http.Error(w, "metadata service unavailable", http.StatusInternalServerError)
		return
	}
	f.md.ServeHTTP(w, r)
}

// TestRoleCredentialsSignRequests: ECS RAM role credentials sign real
// requests (with their STS token), and a failure to fetch them is retried
// like a network error, through the SDK, until the upload succeeds.
func TestRoleCredentialsSignRequests(t *testing.T) {
	ts := osslocaltest.Start(t, func(o *osslocal.Options) {
		// What metadataServer hands out on its first fetch.
		o.Credentials = []osslocal.Credential{{ID: "STS.ID1", Secret: "ecs-secret-1", SecurityToken: "ecs-token-1"}}
	})
	md := &flakyMetadata{md: &metadataServer{role: "web-role", valid: time.Hour}, failures: 2}
	withMetadataProxy(t, md)
	cfg, err := Load(Options{Retries: 5}, env(t, "OSS_ENDPOINT="+ts.Endpoint, "ALIBABA_CLOUD_ECS_METADATA=web-role"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retry.Base, cfg.Retry.Max = time.Millisecond, 5*time.Millisecond
	b, err := cfg.OpenBucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	var errs []error
	err = cfg.Retry.Do(context.Background(), func(ctx context.Context) error {
		calls++
		err := b.PutObject("role/obj", strings.NewReader("signed by the role"), oss.WithContext(ctx))
		if err != nil {
			errs = append(errs, err)
		}
		return err
	})
	// A fetch may ask twice (IMDSv2, then the IMDSv1
	// fallback), so the failures may take one attempt or two.
	if err != nil || calls < 2 {
		t.Fatalf("Do = %v after %d calls, want success after a retry (errors: %v)", err, calls, errs)
	}
	for _, e := range errs {
		if _, ok := e.(*CredentialsError); !ok {
			t.Errorf("failed attempt: %v (%T), want a *CredentialsError from the SDK", e, e)
		}
	}
	r, err := b.GetObject("role/obj", oss.WithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); string(got) != "signed by the role" {
		t.Errorf("object holds %q", got)
	}
}
