package listing

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ossx/ossx/internal/ossx"
)

// Format is an output format of ossls; docs/ossls.md and ossls --help
// describe each one exactly.
type Format uint8

const (
	// Plain prints one URL per line: oss://BUCKET/KEY for an object,
	// oss://BUCKET/PREFIX/ for a directory, oss://BUCKET for a bucket and
	// "UPLOAD-ID oss://BUCKET/KEY" for an unfinished upload. Control
	// characters in them are escaped as \xNN (ossx.EscapeControl); JSON
	// gives keys exactly.
	Plain Format = iota
	// Long prints aligned columns ending with the Plain URL.
	Long
	// JSON prints one JSON object per line.
	JSON
)

// TimeLayout is how Long prints times: UTC, to the second.
const TimeLayout = "2006-01-02T15:04:05Z"

// Column widths of Long: wide enough for every value OSS documents
// (DeepColdArchive, Appendable, 1 TiB in bytes is 13 digits and 48.8 TiB,
// the object size limit, is 14).
const (
	sizeWidth   = 14
	classWidth  = 15
	typeWidth   = 10
	regionWidth = 15
	uploadWidth = 32
)

// Printer writes entries in one Format to a buffered writer and counts
// them for the summary. Nothing reaches the underlying writer before Flush
// (or a full buffer), so a caller flushing after each page emits whole
// lines only.
type Printer struct {
	w      *bufio.Writer
	format Format
	human  bool
	line   []byte
	js     bytes.Buffer  // a JSON line before ossx.AppendJSON
	enc    *json.Encoder // writes to js

	objects, prefixes, uploads, buckets int64
	bytes                               int64

	// Sign, when set, gives an object's URL in place of oss://BUCKET/KEY
	// (ossls --sign: a presigned GET URL); in JSON it is the "url" field.
	Sign func(e *Entry) (string, error)
}

// NewPrinter returns a Printer writing to w. human selects IEC sizes
// (1.5 MiB) in Long and in the summary.
func NewPrinter(w io.Writer, format Format, human bool) *Printer {
	p := &Printer{w: bufio.NewWriterSize(w, 64<<10), format: format, human: human}
	p.enc = json.NewEncoder(&p.js)
	p.enc.SetEscapeHTML(false)
	return p
}

// encode writes v as one JSON line, its DEL and C1 characters escaped
// (ossx.AppendJSON) as in every tool's --json.
func (p *Printer) encode(v any) error {
	p.js.Reset()
	if err := p.enc.Encode(v); err != nil {
		return err
	}
	p.line = ossx.AppendJSON(p.line[:0], p.js.Bytes())
	_, err := p.w.Write(p.line)
	return err
}

// Print writes one entry. The first write error is kept by the buffered
// writer and returned by Flush, so Print itself reports only encoding
// failures.
func (p *Printer) Print(e *Entry) error {
	switch e.Kind {
	case Object:
		p.objects++
		p.bytes += e.Size
	case Prefix:
		p.prefixes++
	case Upload:
		p.uploads++
	case Bucket:
		p.buckets++
	}
	var signed string
	if p.Sign != nil && e.Kind == Object {
		var err error
		if signed, err = p.Sign(e); err != nil {
			return err
		}
	}
	if p.format == JSON {
		if signed != "" {
			o := jsonEntry(e).(jsonObject)
			o.URL = signed
			return p.encode(o)
		}
		return p.encode(jsonEntry(e))
	}
	b := p.line[:0]
	if p.format == Long {
		b = p.appendLongColumns(b, e)
	} else if e.Kind == Upload {
		b = ossx.AppendEscaped(b, e.UploadID)
		b = append(b, ' ')
	}
	if signed != "" {
		b = append(b, signed...)
	} else {
		b = appendURL(b, e)
	}
	b = append(b, '\n')
	p.line = b
	_, err := p.w.Write(b)
	return err
}

// Flush writes out everything printed so far.
func (p *Printer) Flush() error { return p.w.Flush() }

// Summary writes the summary line of what was printed: for JSON
// {"summary":{…}}, else "total: …". Objects and directories are counted
// together as an object listing; a listing of uploads or buckets counts
// those.
func (p *Printer) Summary(of Kind) error {
	if p.format == JSON {
		var s any
		switch of {
		case Upload:
			s = struct {
				Uploads int64 `json:"uploads"`
			}{p.uploads}
		case Bucket:
			s = struct {
				Buckets int64 `json:"buckets"`
			}{p.buckets}
		default:
			s = struct {
				Objects  int64 `json:"objects"`
				Bytes    int64 `json:"bytes"`
				Prefixes int64 `json:"prefixes"`
			}{p.objects, p.bytes, p.prefixes}
		}
		return p.encode(map[string]any{"summary": s})
	}
	var line string
	switch of {
	case Upload:
		line = "total: " + count(p.uploads, "upload", "uploads") + "\n"
	case Bucket:
		line = "total: " + count(p.buckets, "bucket", "buckets") + "\n"
	default:
		size := count(p.bytes, "byte", "bytes")
		if p.human {
			size = string(AppendHuman(nil, p.bytes))
		}
		line = fmt.Sprintf("total: %s, %s, %s\n", count(p.objects, "object", "objects"), size,
			count(p.prefixes, "directory", "directories"))
	}
	_, err := p.w.WriteString(line)
	return err
}

// appendLongColumns appends the columns before the URL:
//
//	object:    LAST-MODIFIED  SIZE  STORAGE-CLASS  TYPE  URL
//	directory: (blank)        DIR   (blank)        (blank) URL
//	upload:    INITIATED      UPLOAD-ID  URL
//	bucket:    CREATED        REGION  URL
func (p *Printer) appendLongColumns(b []byte, e *Entry) []byte {
	switch e.Kind {
	case Object:
		b = e.Time.UTC().AppendFormat(b, TimeLayout)
		b = append(b, "  "...)
		b = p.appendSize(b, e.Size)
		b = append(b, "  "...)
		b = appendPadded(b, e.StorageClass, classWidth)
		b = append(b, "  "...)
		b = appendPadded(b, e.Type, typeWidth)
	case Prefix:
		b = appendPadded(b, "", len(TimeLayout))
		b = append(b, "  "...)
		b = appendPadded(b, "", sizeWidth-3)
		b = append(b, "DIR  "...)
		b = appendPadded(b, "", classWidth)
		b = append(b, "  "...)
		b = appendPadded(b, "", typeWidth)
	case Upload:
		b = e.Time.UTC().AppendFormat(b, TimeLayout)
		b = append(b, "  "...)
		b = appendPadded(b, e.UploadID, uploadWidth)
	case Bucket:
		b = e.Time.UTC().AppendFormat(b, TimeLayout)
		b = append(b, "  "...)
		b = appendPadded(b, e.Region, regionWidth)
	}
	return append(b, "  "...)
}

// appendSize appends n right-aligned in the size column.
func (p *Printer) appendSize(b []byte, n int64) []byte {
	var tmp [32]byte
	s := strconv.AppendInt(tmp[:0], n, 10)
	if p.human {
		s = AppendHuman(tmp[:0], n)
	}
	for i := len(s); i < sizeWidth; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return b
}

// appendURL appends the entry's oss:// URL, its control characters
// escaped (ossx.AppendEscaped) so that a key holding a newline or an escape
// sequence stays on its line and does not drive the terminal.
func appendURL(b []byte, e *Entry) []byte {
	b = append(b, "oss://"...)
	b = ossx.AppendEscaped(b, e.Bucket)
	if e.Kind != Bucket {
		b = append(b, '/')
		b = ossx.AppendEscaped(b, e.Key)
	}
	return b
}

// count is "1 object", "2 objects", "0 objects".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// AppendHuman appends n bytes in IEC units: "0 B", "1023 B", "1.0 KiB",
// "15.3 MiB"; one decimal from KiB up.
func AppendHuman(b []byte, n int64) []byte {
	if n < 1024 && n > -1024 {
		b = strconv.AppendInt(b, n, 10)
		return append(b, " B"...)
	}
	const units = "KMGTPE"
	v := float64(n) / 1024
	i := 0
	for (v >= 1024 || v <= -1024) && i < len(units)-1 {
		v /= 1024
		i++
	}
	// 1023.95 KiB would round to "1024.0 KiB"; show it as the next unit.
	if (v >= 1023.95 || v <= -1023.95) && i < len(units)-1 {
		v /= 1024
		i++
	}
	b = strconv.AppendFloat(b, v, 'f', 1, 64)
	b = append(b, ' ', units[i], 'i', 'B')
	return b
}

// The JSON shapes, one per Kind; field names are part of the interface.
type (
	jsonObject struct {
		Key          string `json:"key"`
		Size         int64  `json:"size"`
		ETag         string `json:"etag"`
		LastModified string `json:"last_modified"`
		StorageClass string `json:"storage_class"`
		Type         string `json:"type"`
		URL          string `json:"url,omitempty"` // --sign
	}
	jsonPrefix struct {
		Prefix string `json:"prefix"`
	}
	jsonUpload struct {
		Key       string `json:"key"`
		UploadID  string `json:"upload_id"`
		Initiated string `json:"initiated"`
	}
	jsonBucket struct {
		Name         string `json:"name"`
		Region       string `json:"region"`
		CreationDate string `json:"creation_date"`
	}
)

func jsonEntry(e *Entry) any {
	switch e.Kind {
	case Prefix:
		return jsonPrefix{e.Key}
	case Upload:
		return jsonUpload{e.Key, e.UploadID, jsonTime(e.Time)}
	case Bucket:
		return jsonBucket{e.Bucket, e.Region, jsonTime(e.Time)}
	default:
		return jsonObject{e.Key, e.Size, e.ETag, jsonTime(e.Time), e.StorageClass, e.Type, ""}
	}
}

// jsonTime is RFC 3339 in UTC with milliseconds, as OSS itself reports.
func jsonTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// TrimETag drops the quotes OSS puts around an ETag.
func TrimETag(s string) string { return strings.Trim(s, `"`) }
