package osslocal_test

import (
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// ListLiveChannel answers an empty list (there are never live channels
// here), so that the SDK tests' bucket clean-up goes on; a missing bucket is
// NoSuchBucket and creating a channel is still NotImplemented.
func TestListLiveChannelEmpty(t *testing.T) {
	_, b := faultEnv(t)
	res, err := b.ListLiveChannel(oss.MaxKeys(10), oss.Prefix("p"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.LiveChannel) != 0 || res.IsTruncated || res.MaxKeys != 10 || res.Prefix != "p" {
		t.Errorf("ListLiveChannel = %+v; want an empty list echoing max-keys and prefix", res)
	}
	missing, err := b.Client.Bucket("no-such-bucket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.ListLiveChannel(); !isServiceCode(err, "NoSuchBucket") {
		t.Errorf("ListLiveChannel of a missing bucket: %v; want NoSuchBucket", err)
	}
	if _, err := b.CreateLiveChannel("ch", oss.LiveChannelConfiguration{}); !isServiceCode(err, "NotImplemented") {
		t.Errorf("CreateLiveChannel: %v; want NotImplemented", err)
	}
}

func isServiceCode(err error, code string) bool {
	se, ok := err.(oss.ServiceError)
	return ok && se.Code == code
}
