package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/keytmpl"
	"github.com/ossx/ossx/internal/osslocal"
)

// server is the osslocal process every measurement talks to.
type server struct {
	cmd    *exec.Cmd
	env    map[string]string // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, …
	client *oss.Client
	bucket *oss.Bucket
	how    string
}

// startServer starts bin/osslocal in memory on a free loopback port with
// bucket name, and reads the endpoint and credentials it prints to its
// --env-file. Without bin/osslocal it runs this program's own copy of the
// osslocal package in a child process instead (see serveMain), so that its
// CPU never counts towards the harness.
func startServer(binDir, work, name string) (*server, error) {
	envFile := filepath.Join(work, "osslocal.env")
	var cmd *exec.Cmd
	how := "bin/osslocal --memory"
	if bin := filepath.Join(binDir, "osslocal"); fileExists(bin) {
		cmd = exec.Command(bin, "--memory", "--addr", "127.0.0.1:0", "--bucket", name, "--env-file", envFile)
	} else {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(self, "-serve-osslocal", envFile, "-serve-bucket", name)
		how = "the osslocal package in memory (bin/osslocal was missing)"
	}
	log, err := os.Create(filepath.Join(work, "osslocal.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, how: how}
	deadline := time.Now().Add(20 * time.Second)
	for {
		env, err := readEnvFile(envFile)
		if err == nil && env["OSS_ENDPOINT"] != "" && env["OSS_ACCESS_KEY_SECRET"] != "" {
			s.env = env
			break
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			s.stop()
			return nil, fmt.Errorf("osslocal did not start (see %s)", log.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.env["OSS_BUCKET"] = name
	client, err := oss.New(s.env["OSS_ENDPOINT"], s.env["OSS_ACCESS_KEY_ID"], s.env["OSS_ACCESS_KEY_SECRET"])
	if err != nil {
		s.stop()
		return nil, err
	}
	client.Config.IsEnableCRC = false
	client.Config.IsEnableMD5 = false
	s.client = client
	if s.bucket, err = client.Bucket(name); err != nil {
		s.stop()
		return nil, err
	}
	// The bucket may or may not be created from the command line.
	if ok, _ := client.IsBucketExist(name); !ok {
		if err := client.CreateBucket(name); err != nil {
			s.stop()
			return nil, fmt.Errorf("create bucket: %w", err)
		}
	}
	return s, nil
}

// environ is the environment a tool needs to reach the server.
func (s *server) environ() []string {
	var out []string
	for _, k := range []string{"OSS_ENDPOINT", "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET"} {
		out = append(out, k+"="+s.env[k])
	}
	return out
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// cpu is the CPU time osslocal used so far.
func (s *server) cpu() time.Duration {
	d, _ := procCPU(s.pid())
	return d
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// deletePrefix removes every object below prefix, so the in-memory server
// does not hold gigabytes from earlier phases.
func (s *server) deletePrefix(prefix string) error {
	token := ""
	for {
		opts := []oss.Option{oss.Prefix(prefix), oss.MaxKeys(1000)}
		if token != "" {
			opts = append(opts, oss.ContinuationToken(token))
		}
		res, err := s.bucket.ListObjectsV2(opts...)
		if err != nil {
			return err
		}
		var keys []string
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		if len(keys) > 0 {
			if _, err := s.bucket.DeleteObjects(keys, oss.DeleteObjectsQuiet(true)); err != nil {
				return err
			}
		}
		if !res.IsTruncated {
			return nil
		}
		token = res.NextContinuationToken
	}
}

// prefixSize is the total size and count of the objects below prefix,
// leaving gtail's owner objects (.gtail/) out: they are not log bytes.
func (s *server) prefixSize(prefix string) (size int64, n int, err error) {
	token := ""
	for {
		opts := []oss.Option{oss.Prefix(prefix), oss.MaxKeys(1000)}
		if token != "" {
			opts = append(opts, oss.ContinuationToken(token))
		}
		res, err := s.bucket.ListObjectsV2(opts...)
		if err != nil {
			return 0, 0, err
		}
		for _, o := range res.Objects {
			if keytmpl.IsBookkeeping(o.Key) {
				continue
			}
			size += o.Size
			n++
		}
		if !res.IsTruncated {
			return size, n, nil
		}
		token = res.NextContinuationToken
	}
}

// readEnvFile parses `export NAME=VALUE` (or NAME=VALUE) lines, VALUE
// optionally single- or double-quoted.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[strings.TrimSpace(k)] = v
	}
	return env, sc.Err()
}

// serveMain runs the osslocal package in memory on a free loopback port,
// writes the env file, and serves until SIGTERM.
func serveMain(envFile, bucket string) error {
	srv, err := osslocal.New(osslocal.Options{Buckets: []string{bucket}})
	if err != nil {
		return err
	}
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c := osslocal.DefaultCredential
	env := fmt.Sprintf("export OSS_ENDPOINT=http://%s\nexport OSS_ACCESS_KEY_ID=%s\nexport OSS_ACCESS_KEY_SECRET=%s\n",
		l.Addr(), c.ID, c.Secret)
	if err := os.WriteFile(envFile+".tmp", []byte(env), 0o600); err != nil {
		return err
	}
	if err := os.Rename(envFile+".tmp", envFile); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hs := &http.Server{Handler: srv}
	go func() { <-ctx.Done(); hs.Close() }()
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
