package osslocal_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// cutReader yields head, tells sent, then fails once release is closed: a
// client killed (or cancelled) half-way through a request body.
type cutReader struct {
	head          []byte
	sent, release chan struct{}
}

func (c *cutReader) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	close(c.sent)
	<-c.release
	return 0, errors.New("client killed")
}

// A request whose body is cut short must not be carried out, whatever the
// store. The resume.txtar flake: an UploadPart of a killed ossuploader,
// stalled in the server, lands after the re-run sent the same part whole;
// its truncated body replaced the part, and Complete with the part's
// ETag failed with InvalidPart (real OSS never commits a part it did not
// receive whole).
func TestCutBodyNotCommitted(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		name := "memory"
		if dir != "" {
			name = "dir"
		}
		t.Run(name, func(t *testing.T) {
			srv, err := osslocal.New(osslocal.Options{
				DataDir:     dir,
				Credentials: []osslocal.Credential{{ID: osslocaltest.AccessKeyID, Secret: osslocaltest.AccessKeySecret}},
				Buckets:     []string{osslocaltest.Bucket},
			})
			if err != nil {
				t.Fatal(err)
			}
			// handled receives each request once the server is done
			// with it, so the test waits for the cut request without
			// timing anything.
			handled := make(chan string, 16)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.ServeHTTP(w, r)
				handled <- r.Method + " " + r.URL.RawQuery
			}))
			defer hs.Close()
			c, err := oss.New(hs.URL, osslocaltest.AccessKeyID, osslocaltest.AccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := c.Bucket(osslocaltest.Bucket)
			drain := func() {
				for len(handled) > 0 {
					<-handled
				}
			}

			data := make([]byte, 300<<10)
			rand.Read(data)

			// PutObject, cut: no object.
			cut := &cutReader{head: data[:100<<10], sent: make(chan struct{}), release: make(chan struct{})}
			errc := make(chan error, 1)
			go func() { errc <- b.PutObject("cut", io.LimitReader(cut, int64(len(data)))) }()
			drain()
			<-cut.sent
			close(cut.release)
			if err := <-errc; err == nil {
				t.Fatal("PutObject with a cut body succeeded")
			}
			<-handled
			if ok, err := b.IsObjectExist("cut"); err != nil || ok {
				t.Errorf("object from a cut PutObject: exists=%v err=%v", ok, err)
			}

			// UploadPart: the cut request lands after the same part was
			// sent whole.
			imur, err := b.InitiateMultipartUpload("mp")
			if err != nil {
				t.Fatal(err)
			}
			drain()
			cut = &cutReader{head: data[:100<<10], sent: make(chan struct{}), release: make(chan struct{})}
			go func() {
				_, err := b.UploadPart(imur, cut, int64(len(data)), 1)
				errc <- err
			}()
			<-cut.sent
			good, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1)
			if err != nil {
				t.Fatal(err)
			}
			<-handled // the whole part
			close(cut.release)
			if err := <-errc; err == nil {
				t.Fatal("UploadPart with a cut body succeeded")
			}
			<-handled // the cut one
			lp, err := b.ListUploadedParts(imur)
			if err != nil {
				t.Fatal(err)
			}
			if len(lp.UploadedParts) != 1 || lp.UploadedParts[0].Size != len(data) || lp.UploadedParts[0].ETag != good.ETag {
				t.Fatalf("parts after a cut UploadPart: %+v, want part 1 of %d bytes, ETag %s", lp.UploadedParts, len(data), good.ETag)
			}
			if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{good}); err != nil {
				t.Fatalf("Complete with the whole part's ETag: %v", err)
			}
			rd, err := b.GetObject("mp")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rd)
			rd.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("object: %d bytes, err %v; want the %d bytes sent", len(got), err, len(data))
			}
		})
	}
}
