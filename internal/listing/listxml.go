package listing

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// listObjectsV2 is bucket.ListObjectsV2 (the same request: list-type=2,
// encoding-type=url) with a decoder of its own for the answer. encoding/xml
// and the garbage its reflection-driven Unmarshal leaves were 77% of ossls's
// CPU; this scanner reads the flat ListBucketResult document in one pass
// over the body, for the fields ossls shows. A document it does not expect
// (CDATA, a DOCTYPE, a malformed tag) goes through encoding/xml instead.
func listObjectsV2(bucket *oss.Bucket, opts []oss.Option) (oss.ListObjectsResultV2, error) {
	opts = append(opts, oss.EncodingType("url"), oss.ListType(2))
	params, err := oss.GetRawParams(opts)
	if err != nil {
		return oss.ListObjectsResultV2{}, err
	}
	resp, err := bucket.Do("GET", "", params, opts, nil, nil)
	if err != nil {
		return oss.ListObjectsResultV2{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return oss.ListObjectsResultV2{}, err
	}
	return decodeListV2(data)
}

var errUnexpectedXML = errors.New("unexpected XML")

// decodeListV2 decodes a ListObjectsV2 answer with encoding-type=url:
// the scanner, or encoding/xml when the scanner does not know the document.
func decodeListV2(data []byte) (oss.ListObjectsResultV2, error) {
	out, err := scanListV2(data)
	if errors.Is(err, errUnexpectedXML) {
		out = oss.ListObjectsResultV2{}
		if err = xml.Unmarshal(data, &out); err != nil {
			return out, fmt.Errorf("decode ListObjectsV2: %w", err)
		}
		err = unescapeListV2(&out)
	}
	return out, err
}

// unescapeListV2 undoes encoding-type=url on the fields it applies to (OSS
// API reference, ListObjectsV2; the SDK's decodeListObjectsResultV2).
func unescapeListV2(out *oss.ListObjectsResultV2) error {
	fields := []*string{&out.Prefix, &out.StartAfter, &out.Delimiter, &out.NextContinuationToken}
	for i := range out.Objects {
		fields = append(fields, &out.Objects[i].Key)
	}
	for i := range out.CommonPrefixes {
		fields = append(fields, &out.CommonPrefixes[i])
	}
	for _, f := range fields {
		v, err := url.QueryUnescape(*f)
		if err != nil {
			return fmt.Errorf("decode ListObjectsV2: %w", err)
		}
		*f = v
	}
	return nil
}

// scanListV2 reads the elements of ListBucketResult, its Contents and its
// CommonPrefixes by name; others (Owner, RestoreInfo, …) are skipped.
func scanListV2(data []byte) (oss.ListObjectsResultV2, error) {
	var out oss.ListObjectsResultV2
	var obj oss.ObjectProperties
	var stack [][]byte // open elements
	var text []byte    // character data before the current tag
	p := data
	for len(p) > 0 {
		lt := bytes.IndexByte(p, '<')
		if lt < 0 {
			if len(bytes.TrimSpace(p)) > 0 {
				return out, errUnexpectedXML
			}
			break
		}
		text = p[:lt]
		p = p[lt+1:]
		gt := bytes.IndexByte(p, '>')
		if gt < 0 || len(p) == 0 {
			return out, errUnexpectedXML
		}
		tag := p[:gt]
		p = p[gt+1:]
		switch {
		case tag[0] == '?': // <?xml …?>
			continue
		case tag[0] == '!': // comment, CDATA, DOCTYPE
			return out, errUnexpectedXML
		case tag[0] == '/':
			name := bytes.TrimSpace(tag[1:])
			if len(stack) == 0 || !bytes.Equal(stack[len(stack)-1], name) {
				return out, errUnexpectedXML
			}
			var parent []byte
			if len(stack) > 1 {
				parent = stack[len(stack)-2]
			}
			v, err := xmlText(text)
			if err != nil {
				return out, err
			}
			if err := setListV2(&out, &obj, parent, name, v); err != nil {
				return out, err
			}
			stack = stack[:len(stack)-1]
		default:
			self := tag[len(tag)-1] == '/'
			if self {
				tag = tag[:len(tag)-1]
			}
			name := tag
			if i := bytes.IndexAny(tag, " \t\r\n"); i >= 0 {
				name = tag[:i]
			}
			if len(name) == 0 {
				return out, errUnexpectedXML
			}
			if !self {
				stack = append(stack, name)
			}
		}
	}
	if len(stack) != 0 {
		return out, errUnexpectedXML
	}
	return out, unescapeListV2(&out)
}

// setListV2 stores the text v of element name, child of parent.
func setListV2(out *oss.ListObjectsResultV2, obj *oss.ObjectProperties, parent, name []byte, v string) error {
	var err error
	switch string(parent) {
	case "ListBucketResult":
		switch string(name) {
		case "Prefix":
			out.Prefix = v
		case "StartAfter":
			out.StartAfter = v
		case "Delimiter":
			out.Delimiter = v
		case "NextContinuationToken":
			out.NextContinuationToken = v
		case "ContinuationToken":
			out.ContinuationToken = v
		case "MaxKeys":
			out.MaxKeys, err = strconv.Atoi(v)
		case "IsTruncated":
			out.IsTruncated, err = strconv.ParseBool(v)
		case "Contents":
			out.Objects = append(out.Objects, *obj)
			*obj = oss.ObjectProperties{}
		}
	case "Contents":
		switch string(name) {
		case "Key":
			obj.Key = v
		case "Size":
			obj.Size, err = strconv.ParseInt(v, 10, 64)
		case "ETag":
			obj.ETag = v
		case "LastModified":
			obj.LastModified, err = time.Parse(time.RFC3339, v)
		case "StorageClass":
			obj.StorageClass = v
		case "Type":
			obj.Type = v
		}
	case "CommonPrefixes":
		if string(name) == "Prefix" {
			out.CommonPrefixes = append(out.CommonPrefixes, v)
		}
	}
	if err != nil {
		return fmt.Errorf("decode ListObjectsV2: %s: %w", name, err)
	}
	return nil
}

// xmlText is character data with its references replaced: XML's five
// entities and character references (&#34; &#x22;), which Go's
// encoding/xml writes for quotes and control characters (osslocal's ETags
// come as &#34;…&#34;). Anything else after an & is left to encoding/xml.
func xmlText(b []byte) (string, error) {
	if bytes.IndexByte(b, '&') < 0 {
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			out = append(out, b...)
			return string(out), nil
		}
		out = append(out, b[:i]...)
		b = b[i+1:]
		semi := bytes.IndexByte(b, ';')
		if semi < 0 {
			return "", errUnexpectedXML
		}
		switch ref := b[:semi]; string(ref) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			r, ok := charRef(ref)
			if !ok {
				return "", errUnexpectedXML
			}
			out = utf8.AppendRune(out, r)
		}
		b = b[semi+1:]
	}
}

// charRef reads the character reference ref (what is between & and ;),
// "#34" or "#x22", and reports whether it names a character XML allows
// (XML 1.0, production Char).
func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil {
		return 0, false
	}
	r := rune(n)
	ok := r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	return r, ok
}
