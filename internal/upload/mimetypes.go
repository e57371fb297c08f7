package upload

import (
	"path"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// commonTypes answers the content type of the extensions most uploads have
// without loading the system MIME database, which mime.TypeByExtension
// (and so oss.TypeByExtension) parses on first use: a fifth of the CPU of
// a 4 KiB upload (BENCHMARKS.md). It also makes these types the same on
// every machine, whatever its /etc/mime.types says. Values follow Go's
// built-in mime table and the SDK's (oss/mime.go), without charset, as the
// SDK sends them.
var commonTypes = map[string]string{
	".7z":     "application/x-7z-compressed",
	".avif":   "image/avif",
	".bin":    "application/octet-stream",
	".bmp":    "image/bmp",
	".bz2":    "application/x-bzip2",
	".css":    "text/css",
	".csv":    "text/csv",
	".doc":    "application/msword",
	".docx":   "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".eot":    "application/vnd.ms-fontobject",
	".flac":   "audio/flac",
	".gif":    "image/gif",
	".gz":     "application/gzip",
	".htm":    "text/html",
	".html":   "text/html",
	".ico":    "image/x-icon",
	".jar":    "application/java-archive",
	".jpeg":   "image/jpeg",
	".jpg":    "image/jpeg",
	".js":     "text/javascript",
	".json":   "application/json",
	".log":    "text/plain",
	".m4a":    "audio/mp4",
	".md":     "text/markdown",
	".mjs":    "text/javascript",
	".mkv":    "video/x-matroska",
	".mov":    "video/quicktime",
	".mp3":    "audio/mpeg",
	".mp4":    "video/mp4",
	".ndjson": "application/x-ndjson",
	".ogg":    "audio/ogg",
	".otf":    "font/otf",
	".pdf":    "application/pdf",
	".png":    "image/png",
	".ppt":    "application/vnd.ms-powerpoint",
	".pptx":   "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".rar":    "application/vnd.rar",
	".svg":    "image/svg+xml",
	".tar":    "application/x-tar",
	".tgz":    "application/gzip",
	".tif":    "image/tiff",
	".tiff":   "image/tiff",
	".ttf":    "font/ttf",
	".txt":    "text/plain",
	".wasm":   "application/wasm",
	".wav":    "audio/wav",
	".webm":   "video/webm",
	".webp":   "image/webp",
	".woff":   "font/woff",
	".woff2":  "font/woff2",
	".xls":    "application/vnd.ms-excel",
	".xlsx":   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xml":    "text/xml",
	".xz":     "application/x-xz",
	".yaml":   "application/yaml",
	".yml":    "application/yaml",
	".zip":    "application/zip",
	".zst":    "application/zstd",
}

// contentType guesses from the source's extension, then the key's: the
// common extensions from commonTypes, others from the system MIME database
// and the SDK's table (oss.TypeByExtension), falling back to a binary type.
func contentType(source, key string) string {
	for _, name := range []string{source, key} {
		if name == "" || name == "-" {
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		if ext == "" {
			continue // no extension: nothing to look up, no database to load
		}
		if t, ok := commonTypes[ext]; ok {
			return t
		}
		if t := oss.TypeByExtension(name); t != "" {
			return t
		}
	}
	return "application/octet-stream"
}
