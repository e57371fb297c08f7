package keytmpl

import "strings"

// OwnerDir is the folder, directly below a gtail destination prefix, of
// gtail's own objects (the owner objects, OwnerDir + "owner/HOST/PATH").
// They are not log bytes: ossget --cat leaves every key with this segment
// out, so that the prefix still reassembles into the files shipped.
const OwnerDir = ".gtail/"

// IsBookkeeping reports whether key is one of gtail's own objects rather
// than shipped log bytes.
func IsBookkeeping(key string) bool {
	return strings.HasPrefix(key, OwnerDir) || strings.Contains(key, "/"+OwnerDir)
}
