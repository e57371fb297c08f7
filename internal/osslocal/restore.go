package osslocal

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"time"
)

// RestoreObject for Archive, ColdArchive and DeepColdArchive objects
// (https://www.alibabacloud.com/help/en/oss/developer-reference/restoreobject;
// SDK bucket.go RestoreObject/RestoreObjectDetail, type.go
// RestoreConfiguration). Such an object cannot be read until restored: the
// first RestoreObject answers 202 and the restore completes after
// Options.RestoreDelay; a second one while it runs is 409
// RestoreAlreadyInProgress; one after it completed extends the copy's
// life and answers 200. HEAD and listings report the state in
// x-oss-restore / <RestoreInfo>.

// DefaultRestoreDelay is how long a restore takes when Options.RestoreDelay
// is 0: about what OSS takes for an Archive object at Expedited priority.
const DefaultRestoreDelay = time.Minute

func coldClass(class string) bool {
	return class == "Archive" || class == "ColdArchive" || class == "DeepColdArchive"
}

type xmlRestoreRequest struct {
	XMLName xml.Name `xml:"RestoreRequest"`
	Days    int      `xml:"Days"`
	Tier    string   `xml:"JobParameters>Tier"`
	hasJob  bool
}

func (s *Server) restoreObject(w http.ResponseWriter, req *request) error {
	m, err := s.store.head(req.bucket, req.key)
	if err != nil {
		return err
	}
	if !coldClass(m.StorageClass) {
		return NewError(http.StatusBadRequest, "OperationNotSupported", "The operation is not supported for this resource.")
	}
	body, err := io.ReadAll(io.LimitReader(req.r.Body, 64<<10))
	if err != nil {
		return err
	}
	in := xmlRestoreRequest{Days: 1}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &in); err != nil {
			return malformedXML()
		}
		in.hasJob = strings.Contains(string(body), "<JobParameters>")
	}
	switch {
	case in.Days < 1 || in.Days > 365 || m.StorageClass == "Archive" && in.Days > 7:
		return invalidArgument("The restore days %d is not valid for %s objects.", in.Days, m.StorageClass)
	case m.StorageClass == "Archive" && in.hasJob:
		// Archive objects take no priority (ali-oss test/node
		// object.test.js "Should not set JobParameters when restore
		// Archive object").
		return malformedXML()
	}
	tier := in.Tier
	if tier == "" {
		tier = "Standard"
	}
	now := s.opts.Now()
	status := http.StatusAccepted
	restoring, restored := restoreState(m, now)
	switch {
	case restoring:
		return NewError(http.StatusConflict, "RestoreAlreadyInProgress", "The restore operation is in progress.")
	case restored:
		status = http.StatusOK
	}
	days := time.Duration(in.Days) * 24 * time.Hour
	if _, err := s.store.update(req.bucket, req.key, func(m *objectMeta) {
		if restored {
			m.RestoredUntil = now.Add(days)
		} else {
			m.Restored = now.Add(s.restoreDelay())
			m.RestoredUntil = m.Restored.Add(days)
		}
	}); err != nil {
		return err
	}
	if m.StorageClass != "Archive" {
		w.Header().Set("x-oss-object-restore-priority", tier)
	}
	w.WriteHeader(status)
	return nil
}

func (s *Server) restoreDelay() time.Duration {
	if s.opts.RestoreDelay > 0 {
		return s.opts.RestoreDelay
	}
	return DefaultRestoreDelay
}

// restoreState says whether a restore of m is running or done at now.
func restoreState(m *objectMeta, now time.Time) (restoring, restored bool) {
	if m.Restored.IsZero() || !now.Before(m.RestoredUntil) {
		return false, false
	}
	return now.Before(m.Restored), !now.Before(m.Restored)
}

// restoreInfo is x-oss-restore and <RestoreInfo>: "" when no restore was
// asked for or the restored copy expired.
func restoreInfo(m *objectMeta, now time.Time) string {
	restoring, restored := restoreState(m, now)
	switch {
	case restoring:
		return `ongoing-request="true"`
	case restored:
		return `ongoing-request="false", expiry-date="` + m.RestoredUntil.UTC().Format(http.TimeFormat) + `"`
	}
	return ""
}

// checkReadable refuses to read a cold object that is not restored.
func (s *Server) checkReadable(m *objectMeta) error {
	if !coldClass(m.StorageClass) {
		return nil
	}
	if _, restored := restoreState(m, s.opts.Now()); restored {
		return nil
	}
	return NewError(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's state.")
}
