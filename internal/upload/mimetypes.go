package upload

import (
	"mime"
	"path"
	"strings"
)

// commonType answers the content type of the extensions most uploads have
// without loading the system MIME database, which mime.TypeByExtension
// (and so oss.TypeByExtension) parses on first use: a fifth of the CPU of
// a 4 KiB upload (BENCHMARKS.md). It also makes these types the same on
// every machine, whatever its /etc/mime.types says. Values follow Go's
// built-in mime table and the SDK's (oss/mime.go), without charset, as the
// SDK sends them. A switch, not a map literal: a map is built by the
// package's init in every run of every tool that links this package.
func commonType(ext string) string {
	switch ext {
	case ".7z":
		return "application/x-7z-compressed"
	case ".avif":
		return "image/avif"
	case ".bin":
		return "application/octet-stream"
	case ".bmp":
		return "image/bmp"
	case ".bz2":
		return "application/x-bzip2"
	case ".css":
		return "text/css"
	case ".csv":
		return "text/csv"
	case ".doc":
		return "application/msword"
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".eot":
		return "application/vnd.ms-fontobject"
	case ".flac":
		return "audio/flac"
	case ".gif":
		return "image/gif"
	case ".gz", ".tgz":
		return "application/gzip"
	case ".htm", ".html":
		return "text/html"
	case ".ico":
		return "image/x-icon"
	case ".jar":
		return "application/java-archive"
	case ".jpeg", ".jpg":
		return "image/jpeg"
	case ".js", ".mjs":
		return "text/javascript"
	case ".json":
		return "application/json"
	case ".log", ".txt":
		return "text/plain"
	case ".m4a":
		return "audio/mp4"
	case ".md":
		return "text/markdown"
	case ".mkv":
		return "video/x-matroska"
	case ".mov":
		return "video/quicktime"
	case ".mp3":
		return "audio/mpeg"
	case ".mp4":
		return "video/mp4"
	case ".ndjson":
		return "application/x-ndjson"
	case ".ogg":
		return "audio/ogg"
	case ".otf":
		return "font/otf"
	case ".pdf":
		return "application/pdf"
	case ".png":
		return "image/png"
	case ".ppt":
		return "application/vnd.ms-powerpoint"
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case ".rar":
		return "application/vnd.rar"
	case ".svg":
		return "image/svg+xml"
	case ".tar":
		return "application/x-tar"
	case ".tif", ".tiff":
		return "image/tiff"
	case ".ttf":
		return "font/ttf"
	case ".wasm":
		return "application/wasm"
	case ".wav":
		return "audio/wav"
	case ".webm":
		return "video/webm"
	case ".webp":
		return "image/webp"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".xls":
		return "application/vnd.ms-excel"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".xml":
		return "text/xml"
	case ".xz":
		return "application/x-xz"
	case ".yaml", ".yml":
		return "application/yaml"
	case ".zip":
		return "application/zip"
	case ".zst":
		return "application/zstd"
	}
	return ""
}

//go:generate go run gen_sdkmime.go

// contentType guesses from the source's extension, then the key's: the
// common extensions from commonType, others from the system MIME database
// and the SDK's table (typeByExtension), falling back to a binary type.
func contentType(source, key string) string {
	for _, name := range []string{source, key} {
		if name == "" || name == "-" {
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		if ext == "" {
			continue // no extension: nothing to look up, no database to load
		}
		if t := commonType(ext); t != "" {
			return t
		}
		if t := typeByExtension(name); t != "" {
			return t
		}
	}
	return "application/octet-stream"
}

// typeByExtension is oss.TypeByExtension (oss/mime.go), with the SDK's
// table as a switch (sdkType, generated) instead of its map: a map literal
// is built by the SDK's init in every run of every program that can reach
// it, 552 entries, 1.3 % of the CPU of a 4 KiB upload (BENCHMARKS.md).
// With this and the single PUT through Bucket.Do, nothing in ossuploader
// reaches the map, and the linker drops it.
func typeByExtension(name string) string {
	ext := path.Ext(name)
	typ := mime.TypeByExtension(ext)
	if typ == "" {
		return sdkType(strings.ToLower(ext))
	}
	if strings.HasPrefix(typ, "text/") && strings.Contains(typ, "charset=") {
		typ = removeCharset(typ)
	}
	return typ
}

// removeCharset is the SDK's removeCharsetInMimeType: typ without its
// charset parameter, the other parameters joined by "; " as it does.
func removeCharset(typ string) string {
	var b strings.Builder
	for i, s := range strings.Split(typ, ";") {
		if strings.Contains(strings.Trim(s, " "), "charset=") {
			continue
		}
		if i == 0 {
			b.WriteString(s)
		} else {
			b.WriteString("; " + s)
		}
	}
	return b.String()
}
