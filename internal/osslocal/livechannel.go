package osslocal

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// osslocal has no live channels (RTMP ingest needs the cloud), but listing
// them answers truthfully: none. The SDKs' bucket clean-up (the Go SDK's
// test ForceDeleteBucket) lists a bucket's live channels before deleting
// it, and stopped at a 501. PutLiveChannel and the other live-channel
// operations still answer 501.
func init() {
	routes[routeKey{levelBucket, http.MethodGet, "live"}] = (*Server).listLiveChannels
}

// xmlListLiveChannel is ListLiveChannel's answer (SDK type.go
// ListLiveChannelResult; OSS API reference, ListLiveChannel).
type xmlListLiveChannel struct {
	XMLName     xml.Name `xml:"ListLiveChannelResult"`
	Prefix      string   `xml:"Prefix"`
	Marker      string   `xml:"Marker"`
	MaxKeys     int      `xml:"MaxKeys"`
	IsTruncated bool     `xml:"IsTruncated"`
	NextMarker  string   `xml:"NextMarker"`
}

func (s *Server) listLiveChannels(w http.ResponseWriter, req *request) error {
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	maxKeys := 100
	if v := req.param("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalidArgument("max-keys must be an integer between 1 and 1000")
		}
		maxKeys = n
	}
	return writeXML(w, xmlListLiveChannel{Prefix: req.param("prefix"), Marker: req.param("marker"), MaxKeys: maxKeys})
}
