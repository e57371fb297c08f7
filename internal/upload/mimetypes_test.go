package upload

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestContentType(t *testing.T) {
	for _, tc := range []struct{ source, key, want string }{
		{"site/index.HTML", "", "text/html"},
		{"-", "logs/app.log", "text/plain"},
		{"data.json", "x.bin", "application/json"},
		{"backup", "backup.tar.gz", "application/gzip"},
		// Not in commonType: the SDK's table (oss/mime.go).
		{"app.apk", "", "application/vnd.android.package-archive"},
		{"noext", "alsonoext", "application/octet-stream"},
		{"firmware.BIN", "", "application/octet-stream"},
		{"noext", "key.png", "image/png"},
	} {
		if got := contentType(tc.source, tc.key); got != tc.want {
			t.Errorf("contentType(%q, %q) = %q, want %q", tc.source, tc.key, got, tc.want)
		}
	}
}

// TestTypeByExtensionIsTheSDKs: typeByExtension answers as
// oss.TypeByExtension for every extension of the SDK's table (read from
// sdkmime.go), in upper case too, for the common ones, and for names
// without a known extension.
func TestTypeByExtensionIsTheSDKs(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "sdkmime.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var exts []string
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CaseClause); ok {
			for _, e := range c.List {
				s, err := strconv.Unquote(e.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				exts = append(exts, s)
			}
		}
		return true
	})
	if len(exts) < 500 {
		t.Fatalf("%d extensions in sdkmime.go, want the SDK's 552", len(exts))
	}
	exts = append(exts, ".html", ".txt", ".css", ".js", ".svg", ".webp", ".wasm", ".xml", ".nosuchext", "", ".")
	for _, ext := range exts {
		for _, name := range []string{"f" + ext, "dir.d/F" + strings.ToUpper(ext)} {
			if got, want := typeByExtension(name), oss.TypeByExtension(name); got != want {
				t.Errorf("typeByExtension(%q) = %q, oss.TypeByExtension: %q", name, got, want)
			}
		}
	}
	// Types with a charset, which both drop: registered under extensions
	// of the test's own, so that the SDK's removeCharsetInMimeType runs.
	for i, typ := range []string{"text/plain; charset=utf-8", "text/x; a=b; charset=c; d=e", "text/x;charset=c", "text/y; a=b"} {
		ext := ".ossxtest" + strconv.Itoa(i)
		if err := mime.AddExtensionType(ext, typ); err != nil {
			t.Fatal(err)
		}
		if got, want := typeByExtension("f"+ext), oss.TypeByExtension("f"+ext); got != want {
			t.Errorf("typeByExtension(%q) (%s) = %q, oss.TypeByExtension: %q", "f"+ext, typ, got, want)
		}
	}
}

// TestSDKTypesGenerated: sdkmime.go is what gen_sdkmime.go makes from the
// SDK version in go.mod (run go generate ./internal/upload after an
// upgrade).
func TestSDKTypesGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	out := filepath.Join(t.TempDir(), "sdkmime.go")
	if b, err := exec.Command("go", "run", "gen_sdkmime.go", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_sdkmime.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("sdkmime.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("sdkmime.go is not what gen_sdkmime.go makes now: run go generate ./internal/upload")
	}
}
