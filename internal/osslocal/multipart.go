package osslocal

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// initiate is InitiateMultipartUpload (POST ?uploads). The object's
// metadata is taken now and applied at Complete.
func (s *Server) initiate(w http.ResponseWriter, req *request) error {
	tmpl, err := s.template(req, req.key)
	if err != nil {
		return err
	}
	if forbidOverwriteHeader(req.r) {
		if _, err := s.store.head(req.bucket, req.key); err == nil {
			return forbidOverwrite(&objectMeta{})
		}
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	u, err := s.store.initiate(req.bucket, tmpl, req.has("sequential"), s.now())
	if err != nil {
		return err
	}
	writeEncryptionHeaders(w, tmpl)
	return writeXML(w, xmlInitiate{Bucket: req.bucket, Key: enc(req.key), UploadID: u.ID, EncodingType: encType})
}

// uploadPart is UploadPart (PUT ?partNumber=N&uploadId=ID); uploading a
// part number again replaces the part.
func (s *Server) uploadPart(w http.ResponseWriter, req *request) error {
	r := req.r
	n, err := strconv.Atoi(req.param("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return invalidArgument("Part number must be an integer between 1 and 10000, inclusive.")
	}
	if r.Header.Get("x-oss-copy-source") != "" {
		return s.uploadPartCopy(w, req, n)
	}
	if r.ContentLength > maxObjectSize {
		return tooLarge()
	}
	want, err := contentMD5(r)
	if err != nil {
		return err
	}
	limit, err := trafficLimit(req)
	if err != nil {
		return err
	}
	th := newThrottle(r.Context(), limit)
	p, err := s.store.uploadPart(req.bucket, req.key, req.param("uploadId"), n, th.reader(r.Body), want, s.now())
	if err != nil {
		return err
	}
	th.report(w)
	w.Header().Set("ETag", `"`+p.ETag+`"`)
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(p.CRC64, 10))
	if raw, err := hex.DecodeString(p.ETag); err == nil {
		w.Header().Set("Content-MD5", base64.StdEncoding.EncodeToString(raw))
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// complete is CompleteMultipartUpload (POST ?uploadId=ID) with the parts in
// the body, or all uploaded parts with x-oss-complete-all: yes.
func (s *Server) complete(w http.ResponseWriter, req *request) error {
	r := req.r
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20+1))
	if err != nil {
		return err
	}
	all := strings.EqualFold(r.Header.Get("x-oss-complete-all"), "yes")
	var list []completePart
	if !all {
		if len(body) > 8<<20 {
			return malformedXML()
		}
		var in xmlComplete
		if err := xml.Unmarshal(body, &in); err != nil {
			return malformedXML()
		}
		for _, p := range in.Parts {
			list = append(list, completePart{Number: p.PartNumber, ETag: p.ETag})
		}
	} else if len(strings.TrimSpace(string(body))) > 0 {
		return invalidArgument("Should not specify both complete all header and http body.")
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	m, err := s.store.complete(req.bucket, req.key, req.param("uploadId"), list, all, putOptions{forbidOverwrite: forbidOverwriteHeader(r)}, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+m.ETag+`"`)
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	writeEncryptionHeaders(w, m)
	location := "http://" + r.Host + "/" + req.bucket + "/" + req.key
	if err := callbackFailed(r); err != nil {
		return err
	}
	return writeXML(w, xmlCompleteResult{EncodingType: encType, Location: location, Bucket: req.bucket, Key: enc(req.key), ETag: `"` + m.ETag + `"`})
}

// listParts is ListParts (GET ?uploadId=ID): max-parts (default 1000),
// part-number-marker.
func (s *Server) listParts(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-parts", 1000)
	if err != nil {
		return err
	}
	marker := 0
	if v := req.param("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return invalidArgument("Invalid part-number-marker.")
		}
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	u, err := s.store.getUpload(req.bucket, req.key, req.param("uploadId"))
	if err != nil {
		return err
	}
	nums := make([]int, 0, len(u.parts))
	for n := range u.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := xmlListParts{EncodingType: encType, Bucket: req.bucket, Key: enc(req.key), UploadID: u.ID, PartNumberMarker: marker, MaxParts: max, StorageClass: u.Template.StorageClass}
	if len(nums) > max {
		nums = nums[:max]
		out.IsTruncated = true
	}
	for _, n := range nums {
		p := u.parts[n]
		out.Parts = append(out.Parts, xmlPart{PartNumber: n, LastModified: xmlTime(p.Modified), ETag: `"` + p.ETag + `"`, HashCrc64ecma: strconv.FormatUint(p.CRC64, 10), Size: p.Size})
		out.NextPartNumberMarker = n
	}
	return writeXML(w, out)
}

// listUploads is ListMultipartUploads (GET /bucket?uploads): prefix,
// delimiter, key-marker, upload-id-marker, max-uploads (default 1000).
func (s *Server) listUploads(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-uploads", 1000)
	if err != nil {
		return err
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	prefix, delim, keyMarker, idMarker := req.param("prefix"), req.param("delimiter"), req.param("key-marker"), req.param("upload-id-marker")
	all, err := s.store.uploads(req.bucket)
	if err != nil {
		return err
	}
	out := xmlListUploads{EncodingType: encType, Bucket: req.bucket, KeyMarker: enc(keyMarker), UploadIDMarker: idMarker, Delimiter: enc(delim), Prefix: enc(prefix), MaxUploads: max}
	count := 0
	var lastKey, lastID string
	for _, u := range all {
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		// After key-marker; with upload-id-marker, uploads of that key
		// after the marker too.
		if keyMarker != "" && (u.Key < keyMarker || u.Key == keyMarker && (idMarker == "" || u.ID <= idMarker)) {
			continue
		}
		if delim != "" {
			if j := strings.Index(u.Key[len(prefix):], delim); j >= 0 {
				cp := u.Key[:len(prefix)+j+len(delim)]
				// A key-marker that is a common prefix (a previous page's
				// NextKeyMarker) was listed already, as in ListObjects.
				if cp == keyMarker {
					continue
				}
				if n := len(out.CommonPrefixes); n > 0 && out.CommonPrefixes[n-1].Prefix == enc(cp) {
					continue
				}
				if count == max {
					out.IsTruncated = true
					break
				}
				out.CommonPrefixes = append(out.CommonPrefixes, xmlPrefix{enc(cp)})
				lastKey, lastID = cp, ""
				count++
				continue
			}
		}
		if count == max {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, xmlUpload{Key: enc(u.Key), UploadID: u.ID, Initiated: xmlTime(u.Initiated)})
		lastKey, lastID = u.Key, u.ID
		count++
	}
	if out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = enc(lastKey), lastID
	}
	return writeXML(w, out)
}

// uploadPartCopy is UploadPartCopy: a part taken from an object, the byte
// range in x-oss-copy-source-range (SDK multipart.go UploadPartCopy,
// option.go CopySourceRange), the whole object without one.
func (s *Server) uploadPartCopy(w http.ResponseWriter, req *request, n int) error {
	r := req.r
	if _, err := s.store.getUpload(req.bucket, req.key, req.param("uploadId")); err != nil {
		return err
	}
	m, rd, err := s.openCopySource(r)
	if err != nil {
		return err
	}
	defer rd.Close()
	start, length := int64(0), m.Size
	if v := r.Header.Get("x-oss-copy-source-range"); v != "" {
		a, b, ok, _ := parseRange(v, m.Size)
		if !ok {
			return NewError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range cannot be satisfied")
		}
		start, length = a, b-a+1
	}
	if length > maxObjectSize {
		return tooLarge()
	}
	p, err := s.store.uploadPart(req.bucket, req.key, req.param("uploadId"), n, io.NewSectionReader(rd, start, length), nil, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("ETag", `"`+p.ETag+`"`)
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(p.CRC64, 10))
	return writeXML(w, xmlCopyPartResult{LastModified: xmlTime(p.Modified), ETag: `"` + p.ETag + `"`})
}
