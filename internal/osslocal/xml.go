package osslocal

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// XML shapes of OSS responses, as aliyun-oss-go-sdk parses them (SDK
// type.go; element names must match those structs' tags).

// isoTime is OSS's XML time format.
const isoTime = "2006-01-02T15:04:05.000Z"

type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// owner is the one account every credential of this server belongs to.
var owner = xmlOwner{ID: "1000000000000000", DisplayName: "1000000000000000"}

type xmlBucket struct {
	Name             string `xml:"Name"`
	Location         string `xml:"Location"`
	CreationDate     string `xml:"CreationDate"`
	StorageClass     string `xml:"StorageClass"`
	Region           string `xml:"Region"`
	ExtranetEndpoint string `xml:"ExtranetEndpoint"`
	IntranetEndpoint string `xml:"IntranetEndpoint"`
}

type xmlListBuckets struct {
	XMLName     xml.Name    `xml:"ListAllMyBucketsResult"`
	Prefix      string      `xml:"Prefix,omitempty"`
	Marker      string      `xml:"Marker,omitempty"`
	MaxKeys     int         `xml:"MaxKeys,omitempty"`
	IsTruncated bool        `xml:"IsTruncated,omitempty"`
	NextMarker  string      `xml:"NextMarker,omitempty"`
	Owner       xmlOwner    `xml:"Owner"`
	Buckets     []xmlBucket `xml:"Buckets>Bucket"`
}

type xmlBucketInfo struct {
	XMLName xml.Name `xml:"BucketInfo"`
	Bucket  struct {
		Name             string   `xml:"Name"`
		AccessMonitor    string   `xml:"AccessMonitor"`
		Location         string   `xml:"Location"`
		CreationDate     string   `xml:"CreationDate"`
		ExtranetEndpoint string   `xml:"ExtranetEndpoint"`
		IntranetEndpoint string   `xml:"IntranetEndpoint"`
		ACL              string   `xml:"AccessControlList>Grant"`
		RedundancyType   string   `xml:"DataRedundancyType"`
		Owner            xmlOwner `xml:"Owner"`
		StorageClass     string   `xml:"StorageClass"`
		// Fields of https://www.alibabacloud.com/help/en/oss/developer-reference/getbucketinfo
		// that the SDK reads (type.go BucketInfo).
		SSE                    xmlSSERule `xml:"ServerSideEncryptionRule"`
		Versioning             string     `xml:"Versioning,omitempty"`
		TransferAcceleration   string     `xml:"TransferAcceleration"`
		CrossRegionReplication string     `xml:"CrossRegionReplication"`
	} `xml:"Bucket"`
}

type xmlSSERule struct {
	SSEAlgorithm      string `xml:"SSEAlgorithm"`
	KMSMasterKeyID    string `xml:"KMSMasterKeyID,omitempty"`
	KMSDataEncryption string `xml:"KMSDataEncryption,omitempty"`
}

type xmlACL struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   xmlOwner `xml:"Owner"`
	ACL     string   `xml:"AccessControlList>Grant"`
}

type xmlContents struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Type         string    `xml:"Type"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *xmlOwner `xml:"Owner,omitempty"`
	RestoreInfo  string    `xml:"RestoreInfo,omitempty"`
}

type xmlListObjects struct {
	XMLName        xml.Name      `xml:"ListBucketResult"`
	Name           string        `xml:"Name"`
	Prefix         string        `xml:"Prefix"`
	Marker         string        `xml:"Marker"`
	MaxKeys        int           `xml:"MaxKeys"`
	Delimiter      string        `xml:"Delimiter"`
	EncodingType   string        `xml:"EncodingType,omitempty"`
	IsTruncated    bool          `xml:"IsTruncated"`
	NextMarker     string        `xml:"NextMarker,omitempty"`
	Contents       []xmlContents `xml:"Contents"`
	CommonPrefixes []xmlPrefix   `xml:"CommonPrefixes"`
}

type xmlPrefix struct {
	Prefix string `xml:"Prefix"`
}

type xmlListObjectsV2 struct {
	XMLName               xml.Name      `xml:"ListBucketResult"`
	Name                  string        `xml:"Name"`
	Prefix                string        `xml:"Prefix"`
	StartAfter            string        `xml:"StartAfter,omitempty"`
	ContinuationToken     string        `xml:"ContinuationToken,omitempty"`
	MaxKeys               int           `xml:"MaxKeys"`
	Delimiter             string        `xml:"Delimiter"`
	EncodingType          string        `xml:"EncodingType,omitempty"`
	IsTruncated           bool          `xml:"IsTruncated"`
	NextContinuationToken string        `xml:"NextContinuationToken,omitempty"`
	KeyCount              int           `xml:"KeyCount"`
	Contents              []xmlContents `xml:"Contents"`
	CommonPrefixes        []xmlPrefix   `xml:"CommonPrefixes"`
}

type xmlCopyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

type xmlCopyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

type xmlDelete struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type xmlDeleteResult struct {
	XMLName      xml.Name     `xml:"DeleteResult"`
	EncodingType string       `xml:"EncodingType,omitempty"`
	Deleted      []xmlDeleted `xml:"Deleted"`
}

type xmlDeleted struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type xmlInitiate struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
	EncodingType string   `xml:"EncodingType,omitempty"`
}

type xmlComplete struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type xmlCompleteResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

type xmlPart struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma string `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

type xmlListParts struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	EncodingType         string    `xml:"EncodingType,omitempty"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	StorageClass         string    `xml:"StorageClass"`
	Parts                []xmlPart `xml:"Part"`
}

type xmlUpload struct {
	Key       string `xml:"Key"`
	UploadID  string `xml:"UploadId"`
	Initiated string `xml:"Initiated"`
}

type xmlListUploads struct {
	XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
	EncodingType       string      `xml:"EncodingType,omitempty"`
	Bucket             string      `xml:"Bucket"`
	KeyMarker          string      `xml:"KeyMarker"`
	UploadIDMarker     string      `xml:"UploadIdMarker"`
	NextKeyMarker      string      `xml:"NextKeyMarker"`
	NextUploadIDMarker string      `xml:"NextUploadIdMarker"`
	Delimiter          string      `xml:"Delimiter"`
	Prefix             string      `xml:"Prefix"`
	MaxUploads         int         `xml:"MaxUploads"`
	IsTruncated        bool        `xml:"IsTruncated"`
	Uploads            []xmlUpload `xml:"Upload"`
	CommonPrefixes     []xmlPrefix `xml:"CommonPrefixes"`
}

type xmlCreateBucket struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	StorageClass       string   `xml:"StorageClass"`
	DataRedundancyType string   `xml:"DataRedundancyType"`
}

type xmlLocation struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Value   string   `xml:",chardata"`
}

func xmlTime(t time.Time) string { return t.UTC().Format(isoTime) }

// writeXML writes v as an OSS XML response body with status 200.
func writeXML(w http.ResponseWriter, v any) error { return writeXMLStatus(w, http.StatusOK, v) }

// writeXMLStatus writes v as an OSS XML response body with status.
func writeXMLStatus(w http.ResponseWriter, status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	body = append([]byte(xml.Header), controlRefs.reveal(body)...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}
