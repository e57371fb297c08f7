package scripts

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// Documentation snippets that must work when copied are marked by a word
// "test" after the language of their code fence:
//
//	```python test
//
// TestDocSnippets runs every marked snippet of README.md and docs/*.md,
// each against a fresh osslocal that creates buckets on first use (so
// oss://my-bucket/... works; OSS_BUCKET is my-bucket), in a new directory,
// with the tools on PATH:
//
//   - PHP, Node, Python and Ruby snippets with their interpreter, in a
//     directory holding photo.jpg; the variables a snippet leaves to the
//     reader are set first (prelude), and a function it only defines is
//     called (epilogue). They must exit 0; Ruby's must also have read the
//     URL from stdout.
//   - shell snippets with bash -e, as the runs in shellRuns say: each run
//     sets the directory up, runs the snippet, then checks what the snippet
//     promises, in the same shell; the exit status and stdout are checked
//     too.
//
// A snippet whose interpreter (or a command a run needs) is missing is
// skipped with a message. Every snippet not marked must be excused by a
// rule of notRun (and is listed with its reason), so that a new example
// cannot stay untested by being forgotten.
func TestDocSnippets(t *testing.T) {
	files, _ := filepath.Glob("../docs/*.md")
	files = append([]string{"../README.md"}, files...)
	var marked []snippet
	for _, f := range files {
		for _, s := range fences(t, f) {
			switch why := excuse(s); {
			case s.marked:
				marked = append(marked, s)
			case why != "":
				t.Logf("not run: %s (%s): %s", s.name, s.where, why)
			default:
				t.Errorf("%s (%s): a %q snippet neither marked \"test\" nor excused by a rule of notRun:\n%s", s.name, s.where, s.lang, s.code)
			}
		}
	}
	if len(marked) == 0 {
		t.Fatal("no snippet is marked for testing")
	}
	seen := map[string]bool{}
	for _, s := range marked {
		seen[s.name] = true
	}
	for name := range shellRuns {
		if !seen[name] {
			t.Errorf("shellRuns[%q]: no marked shell snippet has that name (heading renamed, or snippet unmarked?)", name)
		}
	}
	bin := buildTools(t, "ossuploader", "gtail", "ossls", "ossget", "ossrm", "osslocal")
	for _, s := range marked {
		t.Run(s.name, func(t *testing.T) {
			if s.lang == "sh" || s.lang == "bash" {
				runs, ok := shellRuns[s.name]
				if !ok {
					t.Fatalf("%s: no entry in shellRuns: say how to run it and what it promises", s.where)
				}
				for _, r := range runs {
					t.Run(r.name, func(t *testing.T) { runShell(t, bin, s, r) })
				}
				return
			}
			runInterpreted(t, bin, s)
		})
	}
}

// snippetEnv is the environment of a snippet: a fresh server's OSS_* variables
// (OSS_BUCKET=my-bucket), the tools first on PATH, HOME in dir, REPO the
// checkout, and the Go caches of this test (HOME's would be empty).
func snippetEnv(t *testing.T, bin, dir string) []string {
	srv := osslocaltest.Start(t, func(o *osslocal.Options) {
		o.Buckets = []string{"my-bucket"}
		o.AutoCreateBuckets = true
	})
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env := append(srv.Env(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir, "TMPDIR="+dir, "LC_ALL=C", "TZ=UTC", "REPO="+repo)
	if out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output(); err == nil {
		if v := strings.Fields(string(out)); len(v) == 3 {
			env = append(env, "GOCACHE="+v[0], "GOMODCACHE="+v[1], "GOPATH="+v[2])
		}
	}
	return env
}

func runInterpreted(t *testing.T, bin string, s snippet) {
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
	cmd.Env = snippetEnv(t, bin, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s\nsnippet:\n%s", s.where, err, out, code)
	}
}

var interpreters = map[string][]string{
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
}

// epilogue calls the function a snippet defines without calling it, and
// checks the URL the Ruby snippets read from stdout.
var epilogue = map[string]string{
	"js":     "\nif (typeof upload === 'function') upload(path, key).then(o => console.log(o.url), e => { console.error(e.message); process.exit(1); });\n",
	"python": "\nif 'upload' in globals(): print(upload(path, key)['url'])\n",
	"ruby": "\nurl = upload(path, key)['url'] if respond_to?(:upload, true)\n" +
		"abort \"no URL read from stdout: #{url.inspect}\" unless url.to_s.match?(%r{\\Aoss://my-bucket/avatars/42\\.jpg\\z})\n",
}

// shellRun is one run of a shell snippet. The snippet is run with bash -e
// in a new directory, after a prelude defining fail MESSAGE, and the whole
// — setup, snippet, check, in one shell — must exit with status and print
// a stdout matching each of stdout.
type shellRun struct {
	name   string
	needs  []string // commands that must be installed, else the run is skipped
	setup  string   // before the snippet: its files and objects, stubs of programs
	check  string   // after it: what it promised (its variables are still set)
	status int
	stdout []string // regular expressions
}

// The files and objects the ossget and ossrm examples work on, and what
// they must leave.
const (
	setupOssget = `mkdir -p data
echo '{"debug":false}' > data/config.json
echo 'CREATE TABLE t (id int);' | gzip > data/dump.sql.gz
echo '<h1>hi</h1>' > data/index.html
echo 'h1{}' > data/style.css
printf 'line1\n' | gzip > data/m1.gz
printf 'line2\n' | gzip > data/m2.gz
ossuploader -q data/config.json oss://my-bucket/app/config.json
ossuploader -q data/dump.sql.gz oss://my-bucket/db/dump.sql.gz
ossuploader -q data/dump.sql.gz oss://my-bucket/db/2024-06-01.sql.gz
ossuploader -q data/index.html oss://my-bucket/site/index.html
ossuploader -q data/style.css oss://my-bucket/site/style.css
ossuploader -q data/index.html oss://my-bucket/img/x.png
ossuploader -q data/m1.gz oss://my-logs/web1/app.log/0001.gz
ossuploader -q data/m2.gz oss://my-logs/web1/app.log/0002.gz
psql() { cat > psql.in; }   # psql mydb: what it was fed
`
	checkOssget = `[[ $(cat app/config.json) == '{"debug":false}' ]] || fail "app/config.json"
[[ -f restore/dump.sql.gz || -f restore/2024-06-01.sql.gz ]] || fail "nothing in restore/"
grep -q 'CREATE TABLE' psql.in || fail "psql was not fed the dump"
[[ -f public/index.html ]] || fail "site/ not mirrored"
[[ $(cat app.log) == $'line1\nline2' ]] || fail "app.log: $(cat app.log)"
`
	setupOssrm = `echo x > x
for k in tmp/upload-42.bin builds/2023/a.zip builds/2023/b.zip builds/2024/c.zip work/a.tmp work/keep.txt locks/job.lock; do
	ossuploader -q x oss://my-bucket/$k
done
`
)

// shellRuns says how each marked shell snippet is run, by its name
// (FILE#HEADING, "-2" for the second snippet under a heading).
var shellRuns = map[string][]shellRun{
	"README.md#quick-start": {{
		name:  "make demo",
		needs: []string{"make", "go"},
		// In the checkout, building into this run's directory rather
		// than the checkout's bin/.
		setup:  `cd "$REPO"; export BIN=$TMPDIR/bin`,
		check:  `[[ -x $BIN/ossuploader && -x $BIN/osslocal ]] || fail "nothing built in $BIN"`,
		stdout: []string{`(?m)^== What next`, `(?m)^osslocal stopped\.$`},
	}},
	"README.md#ossuploader": {{
		name: "uploads",
		setup: `printf 'jpeg' > 42.jpg; echo pdf > report.pdf
mkdir -p site/css; echo '<h1>hi</h1>' > site/index.html; echo 'h1{}' > site/css/a.css`,
		check: `[[ $url == oss://my-bucket/avatars/42.jpg ]] || fail "url=$url"
[[ $(ossls -r oss://my-bucket/www/ | wc -l) == 2 ]] || fail "www/: $(ossls -r oss://my-bucket/www/)"
ossget oss://my-bucket/site.tar - | tar -t | grep -q index.html || fail "site.tar"`,
		stdout: []string{`(?m)^\{.*"key":"reports/report\.pdf".*"url":"http://127\.0\.0\.1:\d+/my-bucket/reports(/|%2F)report\.pdf\?[^"]*Expires=`, `(?m)^oss://my-bucket/site\.tar$`},
	}},
	"README.md#ossuploader-2": {{
		name:  "pg_dump fails: nothing is uploaded",
		setup: `pg_dump() { echo "pg_dump: error: connection to server failed" >&2; return 1; }`,
		check: `status=$?
[[ $status != 0 ]] || fail "exit status 0 after pg_dump failed"
[[ -z $(ossls -r oss://my-bucket/) ]] || fail "uploaded: $(ossls -r oss://my-bucket/)"`,
	}, {
		name:  "pg_dump succeeds: the dump is uploaded, the file removed",
		setup: `pg_dump() { echo 'CREATE TABLE t (id int);'; }`,
		check: `key=$(ossls -r oss://my-bucket/db/)
[[ $key =~ ^oss://my-bucket/db/[0-9]{4}-[0-9]{2}-[0-9]{2}\.sql\.gz$ ]] || fail "key $key"
ossget "$key" - | gunzip | grep -q 'CREATE TABLE' || fail "the dump"
[[ ! -e db.sql.gz ]] || fail "db.sql.gz left"`,
	}},
	"README.md#gtail-2": {{
		name:  "ships a log as .gz objects and reads it back",
		setup: `printf 'GET /a 200\nGET /b 404\n' > access.log`,
		check: `cmp access.log access.log.copy || fail "not the same bytes back"
keys=$(ossls -r oss://my-logs/nginx/)
# (.gtail/owner/… records which gtail ships the file: not log data)
[[ -n $keys && $(grep -v '/\.gtail/' <<<"$keys" | grep -vc '\.gz$') == 0 ]] || fail "keys: $keys"`,
		stdout: []string{`(?m)^oss://my-logs/nginx/.*/access\.log/\d{4}-\d\d-\d\d/[^/]+\.gz$`},
	}},
	"README.md#ossls": {{
		name:  "lists",
		needs: []string{"jq"},
		setup: `echo x > x; ossuploader -q x oss://my-bucket/logs/a.log; ossuploader -q x oss://my-bucket/logs/2024/b.log`,
		stdout: []string{`(?m)^oss://my-bucket$`, `(?m)^oss://my-bucket/logs/a\.log$`, `(?m)^oss://my-bucket/logs/2024/$`,
			`(?m)^\S+\s+2 B\s.*oss://my-bucket/logs/2024/b\.log$`},
	}},
	"README.md#ossget": {{
		name:  "downloads",
		setup: setupOssget,
		check: checkOssget,
	}},
	"README.md#ossrm": {{
		name:  "deletes",
		setup: setupOssrm,
		check: `left=$(ossls -r oss://my-bucket/)
[[ $left == $'oss://my-bucket/builds/2024/c.zip\noss://my-bucket/locks/job.lock\noss://my-bucket/work/a.tmp\noss://my-bucket/work/keep.txt' ]] || fail "left: $left"`,
		stdout: []string{`oss://my-bucket/builds/2023/a\.zip`},
	}},
	"README.md#osslocal": {{
		name:  "a server in the background",
		setup: `echo '# hello' > README.md`,
		check: `[[ ! -e oss.env ]] || fail "oss.env left behind"
[[ -d oss-data ]] || fail "no oss-data"`,
		stdout: []string{`(?s)\noss://dev/README\.md\noss://dev/README\.md\n$`},
	}},
	"docs/osslocal.md#osslocal--an-oss-compatible-server-for-development-and-tests": {{
		name:   "data survives a restart",
		setup:  `echo notes > notes.txt`,
		stdout: []string{`(?s)\noss://dev/notes\.txt\n.*\noss://dev/notes\.txt\n$`},
	}},
	"docs/ossuploader.md#ossuploader--put-any-local-path-into-oss-guaranteed-whole": {{
		name:  "prints the URL",
		setup: `printf 'jpeg' > 42.jpg`,
		check: `[[ $url == oss://my-bucket/avatars/42.jpg ]] || fail "url=$url"`,
	}},
	"docs/ossget.md#examples": {{
		name:  "downloads",
		needs: []string{"jq"},
		setup: setupOssget,
		check: checkOssget + `[[ ! -e public/style.css ]] || fail "--include '*.html' let style.css through"
[[ -f img/x.png ]] || fail "img/ not downloaded"`,
		// The paths written, and nothing from jq: every download was
		// verified by CRC64.
		stdout: []string{`^app/config\.json\nrestore/2024-06-01\.sql\.gz\npublic/index\.html\n$`},
	}},
	"docs/ossls.md#examples": {{
		name:  "lists",
		needs: []string{"jq"},
		setup: `echo x > x
for k in app/2024/a.log app/2024/b.log x.tmp keep/y.tmp; do ossuploader -q x oss://logs/$k; done`,
		stdout: []string{`(?m)^oss://logs$`, `(?m)^\s+DIR\s+oss://logs/app/$`, `(?m)^total: 4 objects, 8 bytes\b`,
			`(?m)^oss://logs/app/2024/a\.log$`, `(?m)^1$`},
	}},
	"docs/ossrm.md#ossrm--delete-objects-prefixes-and-abandoned-uploads-2": {{
		name:  "deletes",
		setup: setupOssrm,
		check: `left=$(ossls -r oss://my-bucket/)
[[ $left == $'oss://my-bucket/builds/2024/c.zip\noss://my-bucket/work/keep.txt' ]] || fail "left: $left"`,
		stdout: []string{`(?m)^2$`},
	}},
}

// shellPrelude comes before every run's setup.
const shellPrelude = `fail() { echo "snippet check failed: $*" >&2; exit 99; }
`

func runShell(t *testing.T, bin string, s snippet, r shellRun) {
	for _, c := range append([]string{"bash"}, r.needs...) {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed: snippet not run", c)
		}
	}
	dir := t.TempDir()
	script := shellPrelude + r.setup + "\n" + s.code + r.check + "\n"
	file := filepath.Join(t.TempDir(), "snippet.sh")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not a time limit on the snippet: what stops a hung one (a server it
	// started, waiting forever) so that the test fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", file)
	cmd.Dir = dir
	cmd.Env = snippetEnv(t, bin, dir)
	// Its own process group, so that what it leaves running (a
	// background server, if it failed before stopping it) is stopped too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	report := func(format string, args ...any) {
		t.Errorf("%s: "+format+"\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", append(append([]any{s.where}, args...), stdout.String(), stderr.String(), script)...)
	}
	if status != r.status {
		report("exit status %d, want %d", status, r.status)
		return
	}
	for _, re := range r.stdout {
		if !regexp.MustCompile(re).MatchString(stdout.String()) {
			report("stdout does not match %q", re)
		}
	}
}

type snippet struct {
	name   string // FILE#HEADING, "-N" for the Nth snippet under a heading
	where  string // FILE:LINE
	file   string // as found, ../README.md
	lang   string
	marked bool
	code   string
}

// fences returns every code fence of a Markdown file.
func fences(t *testing.T, file string) []snippet {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := strings.TrimPrefix(filepath.ToSlash(file), "../")
	var out []snippet
	var cur *snippet
	heading, n := "", 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(text) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += text + "\n"
		case strings.HasPrefix(text, "```"):
			fields := strings.Fields(strings.TrimPrefix(text, "```"))
			n++
			name := base + "#" + heading
			if n > 1 {
				name += "-" + strconv.Itoa(n)
			}
			cur = &snippet{name: name, where: base + ":" + strconv.Itoa(line), file: base}
			if len(fields) > 0 {
				cur.lang = fields[0]
			}
			cur.marked = len(fields) == 2 && fields[1] == "test"
		case strings.HasPrefix(text, "#"):
			heading, n = slug(strings.TrimLeft(text, "# ")), 0
		}
	}
	return out
}

// slug is a heading's anchor as GitHub makes it: lower case, spaces to
// dashes, other punctuation dropped.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// notRun are the reasons a snippet may be left unmarked: what it needs is
// not here (the internet, a real OSS account, root on a host), it runs
// until stopped, or it is not a program at all.
var notRun = []struct {
	why   string
	match func(s snippet) bool
}{
	{"not a program: configuration, a synopsis or output", func(s snippet) bool {
		switch s.lang {
		case "", "console", "ini", "json", "yaml", "dockerfile", "crontab", "cron":
			return true
		}
		return false
	}},
	{"needs the internet (install.sh from GitHub, a mirror, go install …@version)", matches(`https://|(?s)go install .*@(latest|v[0-9])`)},
	{"needs a real OSS account (a region's endpoint, your keys)", matches(`OSS_REGION=cn-`)},
	{"installs into the system with sudo", matches(`\bsudo `)},
	{"a make target: make test runs this test, TestDemo runs the demo, the others check themselves", matches(`(?m)^make `)},
	{"runs until stopped: a server or a follower in the foreground", func(s snippet) bool {
		for _, l := range strings.Split(s.code, "\n") {
			l, _, _ = strings.Cut(l, "#")
			l = strings.TrimSpace(strings.TrimPrefix(l, "exec "))
			if (strings.HasPrefix(l, "gtail ") && !strings.Contains(l, "--once") || strings.HasPrefix(l, "osslocal ")) && !strings.HasSuffix(l, "&") {
				return true
			}
		}
		return false
	}},
	{"the conformance set-up that make conformance runs", func(s snippet) bool { return s.file == "docs/conformance.md" }},
}

func matches(re string) func(snippet) bool {
	r := regexp.MustCompile(re)
	return func(s snippet) bool { return r.MatchString(s.code) }
}

// excuse is the reason s is not run, "" if there is none.
func excuse(s snippet) string {
	for _, r := range notRun {
		if r.match(s) {
			return r.why
		}
	}
	return ""
}

// TestNotRunRules: the rules excuse what cannot run here and nothing a
// reader could run against osslocal.
func TestNotRunRules(t *testing.T) {
	for _, tc := range []struct {
		lang, code string
		excused    bool
	}{
		{"sh", "ossls oss://my-bucket/\n", false},
		{"sh", "gtail --once --gzip app.log oss://my-logs/app/\n", false},
		{"sh", "osslocal --addr 127.0.0.1:0 --env-file oss.env &\nossls\n", false},
		{"sh", "ossget oss://b/k - | gunzip | psql mydb\n", false},
		{"python", "print(1)\n", false},
		{"sh", "gtail '/var/log/app/*.log' oss://my-logs/prod/   # forever\n", true},
		{"sh", "exec gtail --state-dir=/state app.log oss://my-logs/app/\n", true},
		{"sh", "osslocal --bucket dev\n", true},
		{"sh", "curl -fsSL https://raw.githubusercontent.com/ossx/ossx/main/scripts/install.sh | sh\n", true},
		{"sh", "go install -trimpath \\\n    github.com/ossx/ossx/cmd/...@latest\n", true},
		{"sh", "export OSS_REGION=cn-hangzhou OSS_BUCKET=my-bucket\n", true},
		{"sh", "sudo install -m 755 ossuploader /usr/local/bin/\n", true},
		{"sh", "make conformance\n", true},
		{"", "ossls [options]\n", true},
		{"crontab", "15 3 * * * ossuploader -r /var/backups oss://b/\n", true},
	} {
		if got := excuse(snippet{lang: tc.lang, code: tc.code}) != ""; got != tc.excused {
			t.Errorf("%s %q: excused %v, want %v", tc.lang, tc.code, got, tc.excused)
		}
	}
}
