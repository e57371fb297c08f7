package osslocal

import (
	"net/http"
	"net/url"
	"strings"
)

// Symlinks: PutSymlink and GetSymlink (?symlink), and GetObject/HeadObject
// following a link to its target (SDK bucket.go PutSymlink/GetSymlink,
// which send and read x-oss-symlink-target URL-escaped;
// https://www.alibabacloud.com/help/en/oss/developer-reference/putsymlink).

// TypeSymlink is the x-oss-object-type of a symbolic link.
const TypeSymlink = "Symlink"

func (s *Server) putSymlink(w http.ResponseWriter, req *request) error {
	r := req.r
	raw := r.Header.Get("x-oss-symlink-target")
	target, err := url.QueryUnescape(raw)
	if raw == "" || err != nil || !validObjectName(target) {
		return invalidArgument("The symlink target x-oss-symlink-target is missing or invalid.")
	}
	tmpl, err := s.template(req, req.key)
	if err != nil {
		return err
	}
	tmpl.Type, tmpl.Target = TypeSymlink, target
	m, err := s.store.put(req.bucket, tmpl, strings.NewReader(""), putOptions{forbidOverwrite: forbidOverwriteHeader(r)})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+m.ETag+`"`)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getSymlink(w http.ResponseWriter, req *request) error {
	m, err := s.store.head(req.bucket, req.key)
	if err != nil {
		return err
	}
	if m.Type != TypeSymlink {
		return NewError(http.StatusBadRequest, "NotSymlink", "The specified object is not a symlink.")
	}
	h := w.Header()
	for k, v := range m.Header {
		h.Set(k, v)
	}
	h.Set("x-oss-symlink-target", url.QueryEscape(m.Target))
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// openObject opens bucket/key for GetObject, following a symlink: the
// target's body and metadata, with the link's type, user metadata and the later of the
// two modification times, as OSS answers GetObject and HeadObject on a
// link. A link to a missing object is 404 SymlinkTargetNotExist, a link to
// a link 400 InvalidTargetType.
func (s *Server) openObject(bucket, key string) (*objectMeta, blobReader, error) {
	m, rd, err := s.store.open(bucket, key)
	if err != nil || m.Type != TypeSymlink {
		return m, rd, err
	}
	rd.Close()
	t, rd, err := s.store.open(bucket, m.Target)
	switch {
	case isCode(err, "NoSuchKey"):
		return nil, nil, NewError(http.StatusNotFound, "SymlinkTargetNotExist", "The symlink target object does not exist.")
	case err != nil:
		return nil, nil, err
	case t.Type == TypeSymlink:
		rd.Close()
		return nil, nil, NewError(http.StatusBadRequest, "InvalidTargetType", "The symlink target object type is invalid.")
	}
	// The target's data, the link's own user metadata (ali-oss
	// test/node/object.test.js "Should put and get Symlink": HEAD of a
	// link returns the x-oss-meta-* it was created with).
	out := t.clone()
	for k := range out.Header {
		if strings.HasPrefix(k, "X-Oss-Meta-") {
			delete(out.Header, k)
		}
	}
	for k, v := range m.Header {
		if strings.HasPrefix(k, "X-Oss-Meta-") {
			out.Header[k] = v
		}
	}
	out.Type = TypeSymlink
	if m.Modified.After(out.Modified) {
		out.Modified = m.Modified
	}
	return out, rd, nil
}
