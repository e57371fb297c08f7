package osslocal

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// PostObject: a browser's form upload, POST /bucket with
// multipart/form-data, authenticated by a signed policy in the form rather
// than by headers (https://www.alibabacloud.com/help/en/oss/developer-reference/postobject;
// signatures: .../signature-version-1 and .../signature-version-4-recommend).
// The fields come first, the file last; the file is streamed to the store.

// maxFormFields bounds the form fields before the file (OSS allows 8 KB a
// field; the policy is the largest).
const maxFormFields = 64 << 10

// isPostObject says whether req is a PostObject: the handler checks its
// policy and signature, which are in the body.
func isPostObject(req *request) bool {
	if req.r.Method != http.MethodPost || req.bucket == "" || req.key != "" {
		return false
	}
	for k := range req.query {
		if subResources[k] {
			return false
		}
	}
	return true
}

func postError(status int, code, format string, args ...any) *Error {
	return NewError(status, code, format, args...)
}

func (s *Server) postObject(w http.ResponseWriter, req *request) error {
	r := req.r
	mt, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || ps["boundary"] == "" {
		return postError(http.StatusBadRequest, "RequestIsNotMultiPartContent", "Bucket POST must be of the enclosure-type multipart/form-data.")
	}
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	mr := multipart.NewReader(r.Body, ps["boundary"])
	form := http.Header{}
	var file *multipart.Part
	size := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return malformedPost("The body of your POST request is not well-formed multipart/form-data.")
		}
		if p.FormName() == "file" {
			file = p
			break
		}
		v, err := io.ReadAll(io.LimitReader(p, maxFormFields+1))
		if err != nil {
			return err
		}
		if size += len(v); size > maxFormFields {
			return postError(http.StatusBadRequest, "FieldItemTooLong", "Your POST request fields exceed the maximum allowed size.")
		}
		form.Set(p.FormName(), string(v))
	}
	if file == nil {
		return postError(http.StatusBadRequest, "InvalidArgument", "The file field is required and must be the last field of the form.")
	}
	key := strings.ReplaceAll(form.Get("key"), "${filename}", file.FileName())
	if key == "" {
		return invalidArgument("The key field is required.")
	}
	if !validObjectName(key) {
		return NewError(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.")
	}
	form.Set("key", key)
	// The file's own Content-Type is the object's unless the form sets one.
	if form.Get("Content-Type") == "" && file.Header.Get("Content-Type") != "" {
		form.Set("Content-Type", file.Header.Get("Content-Type"))
	}
	min, max, err := s.checkPostAuth(req, b, form)
	if err != nil {
		return err
	}
	tmpl := &objectMeta{Key: key, Modified: s.now()}
	if err := setMetadata(tmpl, form, b); err != nil {
		return err
	}
	m, err := s.store.put(req.bucket, tmpl, file, putOptions{forbidOverwrite: strings.EqualFold(form.Get("x-oss-forbid-overwrite"), "true"), min: min, max: max})
	if err != nil {
		return err
	}
	writeWriteHeaders(w, m)
	status := http.StatusNoContent
	switch v := form.Get("success_action_status"); v {
	case "200":
		status = http.StatusOK
	case "201":
		w.Header().Set("Location", "http://"+r.Host+"/"+req.bucket+"/"+key)
		return writeXMLStatus(w, http.StatusCreated, xmlPostResponse{Bucket: req.bucket, Location: "http://" + r.Host + "/" + req.bucket + "/" + key, Key: key, ETag: `"` + m.ETag + `"`})
	}
	w.WriteHeader(status)
	return nil
}

type xmlPostResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Bucket   string   `xml:"Bucket"`
	Location string   `xml:"Location"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func malformedPost(msg string) *Error {
	return postError(http.StatusBadRequest, "MalformedPOSTRequest", "%s", msg)
}

func policyDenied(format string, args ...any) *Error {
	return accessDenied("Invalid according to Policy: "+format, args...)
}

// checkPostAuth checks the form's signature (V1 Signature or V4
// x-oss-signature over the base64 policy) and policy, and returns the
// content-length-range. A form without a policy is anonymous and needs a
// public-read-write bucket.
func (s *Server) checkPostAuth(req *request, b bucketInfo, form http.Header) (min, max int64, err error) {
	max = maxObjectSize
	policy := form.Get("policy")
	if policy == "" {
		if b.ACL != ACLPublicReadWrite {
			return 0, 0, accessDenied("You have no right to access this object because of bucket acl.")
		}
		return 0, max, nil
	}
	token := form.Get("x-oss-security-token")
	if form.Get("x-oss-signature-version") == algorithmV4 {
		scope, ok := parseScopeV4(form.Get("x-oss-credential"))
		if !ok {
			return 0, 0, invalidArgument("Invalid x-oss-credential field.")
		}
		c, err := s.lookup(scope.id, token)
		if err != nil {
			return 0, 0, err
		}
		if !hmac.Equal([]byte(form.Get("x-oss-signature")), []byte(signV4(c.Secret, scope, policy))) {
			return 0, 0, signatureMismatch(c, policy)
		}
		req.principal = scope.id
	} else {
		id := form.Get("OSSAccessKeyId")
		c, err := s.lookup(id, token)
		if err != nil {
			return 0, 0, err
		}
		if !hmac.Equal([]byte(form.Get("Signature")), []byte(signV1(c.Secret, policy))) {
			return 0, 0, signatureMismatch(c, policy)
		}
		req.principal = id
	}
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return 0, 0, invalidPolicy("The policy is not base64-encoded.")
	}
	var p struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return 0, 0, invalidPolicy("The policy is not valid JSON.")
	}
	exp, err := time.Parse(time.RFC3339, p.Expiration)
	if err != nil {
		return 0, 0, invalidPolicy("Invalid Policy: Invalid 'expiration' value: '%s'.", p.Expiration)
	}
	if !s.opts.Now().Before(exp) {
		return 0, 0, policyDenied("Policy expired.")
	}
	value := func(field string) string {
		field = strings.TrimPrefix(field, "$")
		if strings.EqualFold(field, "bucket") {
			return req.bucket
		}
		return form.Get(field)
	}
	for _, c := range p.Conditions {
		switch c := c.(type) {
		case map[string]any:
			for k, v := range c {
				if fmt.Sprint(v) != value(k) {
					return 0, 0, policyDenied("Policy Condition failed: [\"eq\", \"$%s\", \"%v\"]", k, v)
				}
			}
		case []any:
			if len(c) != 3 {
				return 0, 0, invalidPolicy("Invalid Policy: Invalid condition %v.", c)
			}
			op, _ := c[0].(string)
			switch strings.ToLower(op) {
			case "content-length-range":
				lo, ok1 := c[1].(float64)
				hi, ok2 := c[2].(float64)
				if !ok1 || !ok2 || lo < 0 || hi < lo {
					return 0, 0, invalidPolicy("Invalid Policy: Invalid content-length-range.")
				}
				min, max = int64(lo), int64(hi)
			case "eq", "starts-with":
				field, _ := c[1].(string)
				want := fmt.Sprint(c[2])
				got := value(field)
				if op == "eq" && got != want || op == "starts-with" && !strings.HasPrefix(got, want) {
					return 0, 0, policyDenied("Policy Condition failed: [\"%s\", \"%s\", \"%s\"]", op, field, want)
				}
			case "in", "not-in":
				field, _ := c[1].(string)
				list, _ := c[2].([]any)
				in := false
				for _, v := range list {
					if fmt.Sprint(v) == value(field) {
						in = true
					}
				}
				if in != (op == "in") {
					return 0, 0, policyDenied("Policy Condition failed: [\"%s\", \"%s\", %v]", op, field, list)
				}
			default:
				return 0, 0, invalidPolicy("Invalid Policy: Invalid condition operator %q.", op)
			}
		default:
			return 0, 0, invalidPolicy("Invalid Policy: Invalid condition %v.", c)
		}
	}
	return min, max, nil
}

func invalidPolicy(format string, args ...any) *Error {
	return postError(http.StatusBadRequest, "InvalidPolicyDocument", format, args...)
}
