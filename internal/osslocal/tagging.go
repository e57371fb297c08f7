package osslocal

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Object tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging
// (?tagging on an object), the x-oss-tagging header of PutObject,
// AppendObject, InitiateMultipartUpload and CopyObject, and
// x-oss-tagging-count on GetObject/HeadObject (SDK bucket.go
// PutObjectTagging, option.go SetTagging/TaggingDirective; limits from
// https://www.alibabacloud.com/help/en/oss/user-guide/object-tagging-8:
// 10 tags an object, 20 a bucket, keys up to 128 characters, values up to
// 256).

type xmlTagging struct {
	XMLName xml.Name    `xml:"Tagging"`
	Tags    []objectTag `xml:"TagSet>Tag"`
}

func invalidTag(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, "InvalidTag", format, args...)
}

// checkTags applies OSS's limits; max 0 means no count limit (reading back
// what was checked when stored).
func checkTags(tags []objectTag, max int) error {
	if max > 0 && len(tags) > max {
		return invalidTag("The number of tags must not exceed %d.", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > 128:
			return invalidTag("The tag key must be 1 to 128 characters long.")
		case utf8.RuneCountInString(t.Value) > 256:
			return invalidTag("The tag value must not exceed 256 characters.")
		case !tagChars(t.Key) || !tagChars(t.Value):
			return invalidTag("Tag keys and values may contain letters, digits, spaces and + - = . _ : / only.")
		case seen[t.Key]:
			return invalidTag("The tag key %q is given twice.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// tagChars allows what OSS allows in tag keys and values: letters,
// digits, spaces and + - = . _ : / (same page as above).
func tagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" +-=._:/", r) {
			return false
		}
	}
	return true
}

// parseTagging reads a <Tagging> document; an empty one has no tags.
func parseTagging(body []byte, max int) ([]objectTag, error) {
	if len(body) == 0 {
		return nil, nil
	}
	var in xmlTagging
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, malformedXML()
	}
	if err := checkTags(in.Tags, max); err != nil {
		return nil, err
	}
	return in.Tags, nil
}

func taggingXML(tags []objectTag) []byte {
	out, _ := xml.Marshal(xmlTagging{Tags: tags})
	return out
}

// parseTaggingHeader reads x-oss-tagging: "k1=v1&k2=v2", URL-encoded
// (SDK option.go SetTagging).
func parseTaggingHeader(v string) ([]objectTag, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, invalidArgument("Invalid x-oss-tagging header.")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]objectTag, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, objectTag{Key: k, Value: q[k][0]})
	}
	return tags, checkTags(tags, 10)
}

func (s *Server) putObjectTagging(w http.ResponseWriter, req *request) error {
	body, err := io.ReadAll(io.LimitReader(req.r.Body, maxConfigSize+1))
	if err != nil {
		return err
	}
	if len(body) == 0 || len(body) > maxConfigSize {
		return malformedXML()
	}
	tags, err := parseTagging(body, 10)
	if err != nil {
		return err
	}
	if _, err := s.store.update(req.bucket, req.key, func(m *objectMeta) { m.Tags = tags }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getObjectTagging(w http.ResponseWriter, req *request) error {
	m, err := s.store.head(req.bucket, req.key)
	if err != nil {
		return err
	}
	return writeXML(w, xmlTagging{Tags: m.Tags})
}

func (s *Server) deleteObjectTagging(w http.ResponseWriter, req *request) error {
	if _, err := s.store.update(req.bucket, req.key, func(m *objectMeta) { m.Tags = nil }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeTaggingCount sets x-oss-tagging-count when m has tags.
func writeTaggingCount(w http.ResponseWriter, m *objectMeta) {
	if len(m.Tags) > 0 {
		w.Header().Set("x-oss-tagging-count", strconv.Itoa(len(m.Tags)))
	}
}
