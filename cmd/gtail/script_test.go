//go:build unix

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestScripts runs testdata/script/*.txtar against a fresh in-process
// osslocal each, with the bucket gtail-test. Besides the standard commands,
// scripts have:
//
//	oss ls PREFIX        print the keys below PREFIX, one a line
//	oss cat PREFIX       print the objects below PREFIX, concatenated in key order
//	oss zcat PREFIX      the same, each object gunzipped
//	oss put KEY TEXT     create an object (a normal, not appendable, one)
//	waitfile GLOB        wait until a file matches GLOB
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			if _, err := osslocaltest.ScriptSetup(env, func(o *osslocal.Options) { o.Buckets = []string{testBucket} }); err != nil {
				return err
			}
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, "xdg-state"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"oss":      cmdOSS,
			"waitfile": cmdWaitFile,
		},
	})
}

func cmdOSS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: oss ls|cat|zcat PREFIX | oss put KEY TEXT")
	}
	c, err := oss.New(ts.Getenv("OSS_ENDPOINT"), ts.Getenv("OSS_ACCESS_KEY_ID"), ts.Getenv("OSS_ACCESS_KEY_SECRET"))
	ts.Check(err)
	b, err := c.Bucket(testBucket)
	ts.Check(err)
	if args[0] == "put" {
		ts.Check(b.PutObject(args[1], strings.NewReader(strings.Join(args[2:], " "))))
		return
	}
	res, err := b.ListObjects(oss.Prefix(args[1]), oss.MaxKeys(1000))
	ts.Check(err)
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	var out bytes.Buffer
	for _, k := range keys {
		switch args[0] {
		case "ls":
			out.WriteString(k + "\n")
		case "cat", "zcat":
			r, err := b.GetObject(k)
			ts.Check(err)
			var src io.Reader = r
			if args[0] == "zcat" {
				zr, err := gzip.NewReader(r)
				ts.Check(err)
				src = zr
			}
			_, err = io.Copy(&out, src)
			ts.Check(err)
			r.Close()
		default:
			ts.Fatalf("oss: unknown subcommand %q", args[0])
		}
	}
	ts.Stdout().Write(out.Bytes())
}

func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, _ := filepath.Glob(ts.MkAbs(args[0]))
		if len(m) > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no file matches %s", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
