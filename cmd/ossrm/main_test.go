//go:build unix

package main

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ossrm": main})
}

// TestScripts runs testdata/script/*.txtar, each against its own
// in-process osslocal (OSS_* in the environment, $BUCKET the empty bucket).
func TestScripts(t *testing.T) {
	cmds := osslocaltest.ScriptCmds()                    // status, faults
	maps.Copy(cmds, osslocaltest.CheckpointCmds("none")) // interrupt (with fired=OP)
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"putmany":    cmdPutMany,
		"count":      cmdCount,
		"initupload": cmdInitUpload,
		"uploads":    cmdUploads,
	})
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			c := &clock{}
			env.Values[clockKey{}] = c
			srv, err := osslocaltest.ScriptSetup(env, func(o *osslocal.Options) { o.Now = c.now })
			if err != nil {
				return err
			}
			env.Setenv("SECRET", srv.AccessKeySecret)
			env.Setenv("NL", "\n") // for keys a script cannot spell
			env.Setenv("DEL", "\x7f")
			return nil
		},
		Cmds: cmds,
	})
}

func bucket(ts *testscript.TestScript, name string) *oss.Bucket {
	srv := osslocaltest.ScriptServer(ts)
	if name == "" {
		name = srv.Bucket
	}
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret)
	ts.Check(err)
	b, err := c.Bucket(name)
	ts.Check(err)
	return b
}

// putmany PREFIX N [KEY...]: objects PREFIX00000 … PREFIX(N-1), then each
// KEY (below the test bucket, or oss://…).
func cmdPutMany(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: putmany PREFIX N [KEY...]")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := bucket(ts, "")
	for i := range n {
		ts.Check(b.PutObject(fmt.Sprintf("%s%05d", args[0], i), strings.NewReader("x")))
	}
	for _, k := range args[2:] {
		u, err := ossx.ParseURL(k, b.BucketName)
		ts.Check(err)
		ts.Check(bucket(ts, u.Bucket).PutObject(u.Key, strings.NewReader("x")))
	}
}

// count PREFIX N: exactly N objects below PREFIX in the test bucket.
func cmdCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: count PREFIX N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := bucket(ts, "")
	got := 0
	token := ""
	for {
		opts := []oss.Option{oss.Prefix(args[0]), oss.MaxKeys(1000)}
		if token != "" {
			opts = append(opts, oss.ContinuationToken(token))
		}
		res, err := b.ListObjectsV2(opts...)
		ts.Check(err)
		got += len(res.Objects)
		if !res.IsTruncated {
			break
		}
		token = res.NextContinuationToken
	}
	if got != want {
		ts.Fatalf("%d objects below %q, want %d", got, args[0], want)
	}
}

// initupload KEY [AGE]: start a multipart upload of KEY (and leave it
// unfinished); with AGE (e.g. 14m), backdate it by that much on the
// server's clock (which also checks request times: less than 15m).
func cmdInitUpload(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: initupload KEY [AGE]")
	}
	if len(args) == 2 {
		age, err := time.ParseDuration(args[1])
		ts.Check(err)
		c := ts.Value(clockKey{}).(*clock)
		c.back.Store(int64(age))
		defer c.back.Store(0)
	}
	_, err := bucket(ts, "").InitiateMultipartUpload(args[0])
	ts.Check(err)
}

// uploads N: exactly N unfinished multipart uploads in the test bucket.
func cmdUploads(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: uploads N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	res, err := bucket(ts, "").ListMultipartUploads()
	ts.Check(err)
	if len(res.Uploads) != want {
		ts.Fatalf("%d unfinished uploads, want %d", len(res.Uploads), want)
	}
}

type clockKey struct{}

// clock is the server's clock, which initupload can turn back.
type clock struct{ back atomic.Int64 }

func (c *clock) now() time.Time { return time.Now().Add(-time.Duration(c.back.Load())) }
