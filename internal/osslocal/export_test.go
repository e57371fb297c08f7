package osslocal

// HostBucket lets the external tests check the addressing rule.
var HostBucket = hostBucket
