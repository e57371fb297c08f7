package osslocal

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// CORS preflight: OPTIONS on a bucket or object, answered from the
// bucket's stored ?cors rules (https://www.alibabacloud.com/help/en/oss/developer-reference/options;
// SDK bucket.go OptionsMethod, type.go CORSRule). It needs no signature, as
// a browser sends none. Responses to other requests carry no CORS headers.

type xmlCORSRule struct {
	AllowedOrigin []string `xml:"AllowedOrigin"`
	AllowedMethod []string `xml:"AllowedMethod"`
	AllowedHeader []string `xml:"AllowedHeader"`
	ExposeHeader  []string `xml:"ExposeHeader"`
	MaxAgeSeconds int      `xml:"MaxAgeSeconds"`
}

// wildcardMatch matches s against pattern, where one "*" matches any run
// of characters; case-insensitively when fold.
func wildcardMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	before, after, star := strings.Cut(pattern, "*")
	if !star {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s, fold) {
			return true
		}
	}
	return false
}

func (s *Server) preflight(w http.ResponseWriter, req *request) error {
	r := req.r
	origin, method := r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method")
	switch {
	case origin == "":
		return NewError(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.")
	case method == "":
		return NewError(http.StatusBadRequest, "BadRequest", "Insufficient information. Request Access-Control-Request-Method header needed.")
	}
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	var cfg struct {
		Rules []xmlCORSRule `xml:"CORSRule"`
	}
	_ = xml.Unmarshal([]byte(b.Config["cors"]), &cfg)
	var headers []string
	for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			headers = append(headers, h)
		}
	}
	for _, rule := range cfg.Rules {
		if !anyMatch(rule.AllowedOrigin, origin, false) || !anyMatch(rule.AllowedMethod, method, false) {
			continue
		}
		ok := true
		for _, h := range headers {
			ok = ok && anyMatch(rule.AllowedHeader, h, true)
		}
		if !ok {
			continue
		}
		out := w.Header()
		out.Set("Access-Control-Allow-Origin", origin)
		out.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethod, ", "))
		if len(headers) > 0 {
			out.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		}
		if len(rule.ExposeHeader) > 0 {
			out.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeader, ", "))
		}
		if rule.MaxAgeSeconds > 0 {
			out.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return NewError(http.StatusForbidden, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.")
}
