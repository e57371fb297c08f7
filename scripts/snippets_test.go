package scripts

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// Documentation snippets that must work when copied are marked by a word
// "test" after the language of their code fence:
//
//	```python test
//
// TestDocSnippets runs every marked snippet of README.md and docs/*.md with
// its interpreter, in a directory holding photo.jpg, against an osslocal
// that creates buckets on first use (so oss://my-bucket/... works), with
// the tools on PATH. The variables a snippet leaves to the reader are set
// first (prelude below), and a function it only defines is called
// (epilogue). A snippet whose interpreter is missing is skipped
// with a message.
func TestDocSnippets(t *testing.T) {
	files, _ := filepath.Glob("../docs/*.md")
	files = append([]string{"../README.md"}, files...)
	var snippets []snippet
	for _, f := range files {
		snippets = append(snippets, markedSnippets(t, f)...)
	}
	if len(snippets) == 0 {
		t.Fatal("no snippet is marked for testing")
	}
	bin := buildTools(t, "ossuploader", "gtail", "ossls", "osslocal")
	srv := osslocaltest.Start(t, func(o *osslocal.Options) { o.AutoCreateBuckets = true })
	for _, s := range snippets {
		t.Run(s.name, func(t *testing.T) {
			run, ok := interpreters[s.lang]
			if !ok {
				t.Fatalf("no interpreter known for %q", s.lang)
			}
			if _, err := exec.LookPath(run[0]); err != nil {
				t.Skipf("%s is not installed: %s snippet not run", run[0], s.lang)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), []byte("not really a jpeg"), 0o644); err != nil {
				t.Fatal(err)
			}
			code := s.code
			if p := prelude[s.lang]; p != "" {
				if rest, ok := strings.CutPrefix(code, "<?php"); ok {
					code = "<?php " + p + rest
				} else {
					code = p + code
				}
			}
			code += epilogue[s.lang]
			file := filepath.Join(dir, "snippet")
			if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(run[0], append(run[1:], file)...)
			cmd.Dir = dir
			cmd.Env = append(srv.Env(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s\nsnippet:\n%s", s.name, err, out, code)
			}
		})
	}
}

var interpreters = map[string][]string{
	"sh":     {"bash", "-e"},
	"php":    {"php"},
	"js":     {"node"},
	"python": {"python3"},
	"ruby":   {"ruby"},
}

// prelude sets what the snippets leave to the reader: the file to upload
// and where to.
var prelude = map[string]string{
	"php":    "$tmp = 'photo.jpg'; $id = 42; $tmpPath = 'photo.jpg'; $userId = 42;\n",
	"js":     "const path = 'photo.jpg', key = 'avatars/42.jpg';\n",
	"python": "path, key = 'photo.jpg', 'avatars/42.jpg'\n",
	"ruby":   "path, key = 'photo.jpg', 'avatars/42.jpg'\n",
	"sh":     "path=photo.jpg key=avatars/42.jpg\n",
}

// epilogue calls the function a snippet defines without calling it.
var epilogue = map[string]string{
	"js":     "\nif (typeof upload === 'function') upload(path, key).then(o => console.log(o.url), e => { console.error(e.message); process.exit(1); });\n",
	"python": "\nif 'upload' in globals(): print(upload(path, key)['url'])\n",
}

type snippet struct {
	name, lang, code string
}

// markedSnippets returns the code fences of file marked "test".
func markedSnippets(t *testing.T, file string) []snippet {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []snippet
	var cur *snippet
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		case strings.HasPrefix(line, "```"):
			fields := strings.Fields(strings.TrimPrefix(line, "```"))
			if len(fields) == 2 && fields[1] == "test" {
				cur = &snippet{name: filepath.Base(file) + ":" + strconv.Itoa(n) + ":" + fields[0], lang: fields[0]}
			}
		}
	}
	return out
}
