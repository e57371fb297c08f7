package osslocal_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// sdkSubResources are the query parameters the SDKs sign as sub-resources:
// aliyun-oss-go-sdk v3.0.2 oss/conn.go signKeyList, the v2 SDK's
// oss/signer/v1.go requiredSignedParametersMap, and the ones issue 10 lists.
var sdkSubResources = []string{
	"acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle",
	"delete", "append", "tagging", "objectMeta", "uploadId", "partNumber", "security-token",
	"position", "img", "style", "styleName", "replication", "replicationProgress",
	"replicationLocation", "cname", "bucketInfo", "comp", "qos", "live", "status", "vod",
	"startTime", "endTime", "symlink", "x-oss-process", "response-content-type",
	"x-oss-traffic-limit", "response-content-language", "response-expires",
	"response-cache-control", "response-content-disposition", "response-content-encoding",
	"udf", "udfName", "udfImage", "udfId", "udfImageDesc", "udfApplication",
	"udfApplicationLog", "restore", "callback", "callback-var", "qosInfo", "policy", "stat",
	"encryption", "versions", "versioning", "versionId", "requestPayment",
	"x-oss-request-payer", "sequential", "inventory", "inventoryId", "continuation-token",
	"asyncFetch", "worm", "wormId", "wormExtend", "withHashContext", "x-oss-enable-md5",
	"x-oss-enable-sha1", "x-oss-enable-sha256", "x-oss-hash-ctx", "x-oss-md5-ctx",
	"transferAcceleration", "regionList", "cloudboxes", "x-oss-ac-source-ip",
	"x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow", "metaQuery",
	"resourceGroup", "rtc", "x-oss-async-process", "responseHeader",
	// OSS API reference sub-resources newer than the SDK's list.
	"accessPoint", "publicAccessBlock", "httpsConfig", "objectInfo", "overwriteConfig",
	"archiveDirectRead", "accessMonitor", "policyStatus",
	// As the SDK sends them (client.go), found by ossutil access-monitor.
	"accessmonitor", "regions",
}

// creates are the sub-resource operations that legitimately make something
// new even from an empty request.
var creates = map[string]bool{"object POST uploads": true}

// world is what a client can observe of a server's state.
func world(t *testing.T, c *oss.Client, b *oss.Bucket) string {
	t.Helper()
	var out strings.Builder
	lb, err := c.ListBuckets()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range lb.Buckets {
		fmt.Fprintf(&out, "bucket %s %s\n", x.Name, x.StorageClass)
	}
	acl, err := b.Client.GetBucketACL(b.BucketName)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "bucket acl %s\n", acl.ACL)
	lo, err := b.ListObjects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range lo.Objects {
		fmt.Fprintf(&out, "object %s %d %s %s %s\n", o.Key, o.Size, o.ETag, o.Type, o.StorageClass)
		fmt.Fprintf(&out, "  body %q\n", get(t, b, o.Key))
		h, err := b.GetObjectDetailedMeta(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for k := range h {
			if k != "X-Oss-Request-Id" && k != "Date" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&out, "  %s: %s\n", k, h.Get(k))
		}
		oacl, err := b.GetObjectACL(o.Key)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "  acl %s\n", oacl.ACL)
		fmt.Fprintf(&out, "  tagging %s\n", rawGet(t, c, b.BucketName, o.Key, "tagging"))
		fmt.Fprintf(&out, "  symlink %s\n", rawGet(t, c, b.BucketName, o.Key, "symlink"))
	}
	for _, sub := range []string{"cors", "lifecycle", "website", "encryption", "policy", "referer", "logging", "requestPayment", "tagging", "versioning", "inventory"} {
		fmt.Fprintf(&out, "bucket ?%s %s\n", sub, rawGet(t, c, b.BucketName, "", sub))
	}
	lu, err := b.ListMultipartUploads()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range lu.Uploads {
		fmt.Fprintf(&out, "upload %s %s\n", u.Key, u.UploadID)
	}
	return out.String()
}

// rawGet returns what GET ?sub answers: status and body.
func rawGet(t *testing.T, c *oss.Client, bucket, key, sub string) string {
	t.Helper()
	resp, err := c.Conn.Do(http.MethodGet, bucket, key, map[string]any{sub: nil}, nil, nil, 0, nil)
	if err != nil {
		var se oss.ServiceError
		if errors.As(err, &se) {
			return fmt.Sprintf("%d %s", se.StatusCode, se.Code)
		}
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, body)
}

// TestUnimplementedSubResourcesChangeNothing sends every sub-resource an
// SDK knows, with every method, to the service, a bucket and an object,
// and checks that nothing a client can see changed and that what is not
// implemented answers 501 NotImplemented.
func TestUnimplementedSubResourcesChangeNothing(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "a", []byte("alpha"), oss.ContentType("text/plain"), oss.Meta("k", "v"), oss.ObjectACL(oss.ACLPublicRead))
	put(t, b, "dir/b", []byte("beta"))
	if _, err := b.AppendObject("log", strings.NewReader("appended"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InitiateMultipartUpload("mp"); err != nil {
		t.Fatal(err)
	}
	before := world(t, c, b)
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete}
	for _, sub := range sdkSubResources {
		if osslocal.Params[sub] {
			continue
		}
		for _, level := range []string{"service", "bucket", "object"} {
			bucketName, key := "", ""
			switch level {
			case "bucket":
				bucketName = ts.Bucket
			case "object":
				bucketName, key = ts.Bucket, "a"
			}
			for _, method := range methods {
				if creates[level+" "+method+" "+sub] {
					continue
				}
				value := ""
				if sub == "uploadId" || sub == "wormId" {
					value = "no-such-id"
				}
				resp, err := c.Conn.Do(method, bucketName, key, map[string]any{sub: value}, nil, bytes.NewReader(nil), 0, nil)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					// Deleting a configuration that is not there succeeds
					// and changes nothing, which world checks.
					if method == http.MethodPut || method == http.MethodPost {
						t.Errorf("%s %s ?%s succeeded with an empty request", method, level, sub)
					}
					continue
				}
				var se oss.ServiceError
				if !errors.As(err, &se) {
					t.Fatalf("%s %s ?%s: %v", method, level, sub, err)
				}
				if se.StatusCode == http.StatusNotImplemented && se.Code != "NotImplemented" {
					t.Errorf("%s %s ?%s: 501 with code %q", method, level, sub, se.Code)
				}
			}
			if after := world(t, c, b); after != before {
				t.Fatalf("?%s on the %s changed the world:\nbefore:\n%s\nafter:\n%s", sub, level, before, after)
			}
		}
	}
}

// TestSubResourceAnswers501 pins what some of the requests of issue 10
// answer: they used to delete buckets and objects or replace bodies.
func TestSubResourceAnswers501(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "a", []byte("alpha"))
	for _, tc := range []struct {
		method, key, sub string
	}{
		{http.MethodDelete, "", "replication"},
		{http.MethodDelete, "", "worm"},
		{http.MethodPut, "a", "x-oss-process"},
		{http.MethodGet, "a", "x-oss-process"},
		{http.MethodPost, "a", "x-oss-async-process"},
		{http.MethodDelete, "", "an-unknown-sub-resource"},
		{http.MethodPut, "a", "an-unknown-sub-resource"},
	} {
		resp, err := c.Conn.Do(tc.method, ts.Bucket, tc.key, map[string]any{tc.sub: ""}, nil, bytes.NewReader(nil), 0, nil)
		if err == nil {
			resp.Body.Close()
		}
		wantCode(t, err, http.StatusNotImplemented, "NotImplemented")
	}
	if got := get(t, b, "a"); string(got) != "alpha" {
		t.Fatalf("a = %q", got)
	}
}

// TestUnknownListParameterIgnored: OSS ignores query parameters that are
// neither sub-resources nor ListObjects' own on a bucket GET.
func TestUnknownListParameterIgnored(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "a", []byte("alpha"))
	resp, err := c.Conn.Do(http.MethodGet, ts.Bucket, "", map[string]any{"prefixz": "b"}, nil, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "<Key>a</Key>") {
		t.Fatalf("GET /?prefixz=b did not list a: %s", body)
	}
}
