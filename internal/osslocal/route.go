package osslocal

import (
	"net/http"
	"sort"
	"strings"
)

// OSS chooses the operation of a request by its method and its
// sub-resource: a query parameter such as ?acl, ?tagging or ?uploads. A
// server that ignored one would run another operation in its place (DELETE
// /?tagging as DeleteBucket, PUT /key?tagging as PutObject), so every
// request is routed by the full set of sub-resources OSS knows, and one this
// server does not implement is answered 501 NotImplemented without touching
// anything.

// subResources are the query parameters that name an OSS operation. Taken
// from the SDKs' lists of signed sub-resources (SDK conn.go signKeyList;
// alibabacloud-oss-go-sdk-v2 oss/signer/v1.go requiredSignedParametersMap)
// less the ones that only qualify an operation (params), plus the bucket
// sub-resources of OSS's API reference the SDKs sign by name
// (https://www.alibabacloud.com/help/en/oss/developer-reference/list-of-operations-by-function).
var subResources = setOf(
	"acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle",
	"delete", "append", "tagging", "objectMeta", "uploadId", "img", "style", "styleName",
	"replication", "replicationProgress", "replicationLocation", "cname", "bucketInfo",
	"comp", "qos", "qosInfo", "live", "status", "vod", "startTime", "endTime", "symlink",
	"x-oss-process", "x-oss-async-process", "udf", "udfName", "udfImage", "udfId", "udfImageDesc",
	"udfApplication", "udfApplicationLog", "restore", "policy", "policyStatus", "stat",
	"encryption", "versions", "versioning", "requestPayment", "sequential", "inventory",
	"asyncFetch", "worm", "wormId", "wormExtend", "withHashContext", "x-oss-enable-md5",
	"x-oss-enable-sha1", "x-oss-enable-sha256", "x-oss-hash-ctx", "x-oss-md5-ctx",
	"transferAcceleration", "regionList", "cloudboxes", "metaQuery", "resourceGroup", "rtc",
	"responseHeader", "accessMonitor", "accessPoint", "accessPointPolicy", "publicAccessBlock",
	"bucketArchiveDirectRead", "httpsConfig", "dataRedundancyTransition", "objectInfo",
	"replicationRule", "resourcePool", "resourcePoolInfo", "resourcePoolBuckets",
	"requesterQosInfo", "overwriteConfig", "cleanRestoredObject", "userDefinedLogFieldsConfig",
	"csr", "csrId", "archiveDirectRead", "redundancyTransition", "channel",
	// Spelled so in the SDK's requests (client.go GetBucketAccessMonitorXml,
	// DescribeRegionsXml), not in its signKeyList.
	"accessmonitor", "regions",
	// Callbacks to the application's server cannot be made from here.
	"callback", "callback-var",
)

// params qualify an operation without naming one: its arguments, presigned
// URL credentials, response header overrides. A mutating request carrying a
// parameter neither here nor in subResources is refused, since it may be a
// sub-resource newer than this list.
var params = setOf(
	// listing
	"prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type",
	"continuation-token", "start-after", "fetch-owner", "key-marker", "upload-id-marker",
	"max-uploads", "max-parts", "part-number-marker", "version-id-marker", "tag-key",
	"tag-value", "resource-group-id",
	// operations' arguments
	"partNumber", "position", "versionId", "inventoryId",
	// presigned URLs (SDK conn.go signURL) and STS
	"OSSAccessKeyId", "Expires", "Signature", "security-token", "x-oss-signature-version",
	"x-oss-signature", "x-oss-credential", "x-oss-date", "x-oss-expires",
	"x-oss-additional-headers", "x-oss-access-key-id", "x-oss-security-token",
	"x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
	// request modifiers
	"response-content-type", "response-content-language", "response-expires",
	"response-cache-control", "response-content-disposition", "response-content-encoding",
	"x-oss-traffic-limit", "x-oss-request-payer",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Levels of a route: no bucket, a bucket, an object.
const (
	levelService = "service"
	levelBucket  = "bucket"
	levelObject  = "object"
)

type routeKey struct {
	level, method, sub string
}

type handler func(*Server, http.ResponseWriter, *request) error

// routes are the operations this server implements, by level, method and
// sub-resource ("" for none). SDK client.go, bucket.go and multipart.go
// show which request each SDK call sends.
var routes = map[routeKey]handler{
	{levelService, http.MethodGet, ""}: (*Server).listBuckets,

	{levelBucket, http.MethodPut, ""}:             (*Server).putBucket,
	{levelBucket, http.MethodPut, "acl"}:          (*Server).putBucketACL,
	{levelBucket, http.MethodDelete, ""}:          (*Server).deleteBucket,
	{levelBucket, http.MethodHead, ""}:            (*Server).headBucket,
	{levelBucket, http.MethodPost, ""}:            (*Server).postObject,
	{levelBucket, http.MethodPost, "delete"}:      (*Server).deleteMultiple,
	{levelBucket, http.MethodGet, ""}:             (*Server).listObjectsAny,
	{levelBucket, http.MethodGet, "acl"}:          (*Server).getBucketACL,
	{levelBucket, http.MethodGet, "location"}:     (*Server).getBucketLocation,
	{levelBucket, http.MethodGet, "bucketInfo"}:   (*Server).bucketInfo,
	{levelBucket, http.MethodGet, "uploads"}:      (*Server).listUploads,
	{levelBucket, http.MethodGet, "live"}:         (*Server).listLiveChannels,
	{levelBucket, http.MethodGet, "stat"}:         (*Server).getBucketStat,
	{levelBucket, http.MethodGet, "versions"}:     (*Server).listObjectVersions,
	{levelBucket, http.MethodPut, "inventory"}:    (*Server).putInventory,
	{levelBucket, http.MethodGet, "inventory"}:    (*Server).getInventory,
	{levelBucket, http.MethodDelete, "inventory"}: (*Server).deleteInventory,

	{levelObject, http.MethodPut, ""}:                    (*Server).putOrCopyObject,
	{levelObject, http.MethodPut, "acl"}:                 (*Server).putObjectACL,
	{levelObject, http.MethodPut, "uploadId"}:            (*Server).uploadPart,
	{levelObject, http.MethodGet, ""}:                    (*Server).getObject,
	{levelObject, http.MethodGet, "acl"}:                 (*Server).getObjectACL,
	{levelObject, http.MethodGet, "uploadId"}:            (*Server).listParts,
	{levelObject, http.MethodHead, ""}:                   (*Server).headObject,
	{levelObject, http.MethodHead, "objectMeta"}:         (*Server).getObjectMeta,
	{levelObject, http.MethodPost, "append"}:             (*Server).appendObject,
	{levelObject, http.MethodPost, "sequential&uploads"}: (*Server).initiate,
	{levelObject, http.MethodPost, "uploads"}:            (*Server).initiate,
	{levelObject, http.MethodPost, "uploadId"}:           (*Server).complete,
	{levelObject, http.MethodDelete, ""}:                 (*Server).deleteObject,
	{levelObject, http.MethodDelete, "uploadId"}:         (*Server).abort,
	{levelObject, http.MethodPut, "symlink"}:             (*Server).putSymlink,
	{levelObject, http.MethodGet, "symlink"}:             (*Server).getSymlink,
	{levelObject, http.MethodPost, "restore"}:            (*Server).restoreObject,
	{levelObject, http.MethodPut, "tagging"}:             (*Server).putObjectTagging,
	{levelObject, http.MethodGet, "tagging"}:             (*Server).getObjectTagging,
	{levelObject, http.MethodDelete, "tagging"}:          (*Server).deleteObjectTagging,
}

// route finds the handler of req, or answers why there is none: 501 for a
// sub-resource (or an unknown parameter on a write) this server does not
// implement, 405 for a method OSS does not have.
func route(req *request) (handler, error) {
	level := levelObject
	switch {
	case req.bucket == "":
		level = levelService
	case req.key == "":
		level = levelBucket
	}
	method := req.r.Method
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
	case http.MethodOptions:
		if level != levelService {
			return (*Server).preflight, nil
		}
		fallthrough
	default:
		return nil, NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
	write := method != http.MethodGet && method != http.MethodHead
	var subs []string
	for k := range req.query {
		switch {
		case subResources[k]:
			subs = append(subs, k)
		case params[k]:
		case write:
			// An unknown parameter on a write may be a sub-resource
			// newer than this server: refuse rather than guess.
			return nil, notImplementedSub(k)
		}
	}
	sort.Strings(subs)
	sub := strings.Join(subs, "&")
	h, ok := routes[routeKey{level, method, sub}]
	if !ok {
		if sub == "" {
			sub = method
		}
		return nil, notImplementedSub(sub)
	}
	return h, nil
}

func notImplementedSub(what string) *Error {
	return NewError(http.StatusNotImplemented, "NotImplemented", "osslocal does not implement this operation (%s).", what)
}
