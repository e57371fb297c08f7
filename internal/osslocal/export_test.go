package osslocal

// HostBucket lets the external tests check the addressing rule.
var HostBucket = hostBucket

// Params are the query parameters that qualify an operation without naming
// one; the routing test sends every other SDK sub-resource.
var Params = params
