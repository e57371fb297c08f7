package main

import "github.com/ossx/ossx/internal/ossx"

// helpTemplate is ossls --help, laid out like a man page. Keep it in step
// with docs/ossls.md.
const helpTemplate = `NAME
   ossls - list OSS buckets, objects and unfinished multipart uploads

SYNOPSIS
   ossls [options]                          list buckets
   ossls [options] oss://BUCKET[/PREFIX]    list objects
   ossls [options] PREFIX                   list objects of the default bucket
   ossls --uploads [options] [oss://BUCKET[/PREFIX]]

DESCRIPTION
   With no argument ossls lists the buckets of the account, even when
   OSS_BUCKET is set, so a bare "ossls" means the same everywhere. Give
   --bucket NAME on the command line (or --uploads) to list the default
   bucket instead.

   With an argument it lists the objects whose keys start with PREFIX, one
   level deep: keys containing a further "/" are rolled up into
   "directories" (common prefixes) printed with a trailing "/". -r lists
   every key below the prefix instead. PREFIX is a plain key prefix, not a
   path: oss://b/logs lists logs/ and logs.txt alike; oss://b/logs/ lists
   inside logs/. A bare PREFIX (no oss://) is in the default bucket
   (--bucket or OSS_BUCKET).

   Entries come out in key order (byte order of the UTF-8 keys), page by
   page as OSS returns them (1000 per request; the next page is fetched
   while one is printed), so memory stays constant and the first line
   appears at once even for millions of keys. A closed stdout (ossls | head)
   ends ossls quietly with status 0. If a request fails after its retries,
   the lines already printed are complete and correct, the error goes to
   stderr and the status is 1.

OUTPUT
   Default: one entry per line, the entry's full URL, ready for scripts:
      oss://BUCKET/KEY           an object
      oss://BUCKET/PREFIX/       a directory (not with -r)
      oss://BUCKET               a bucket
      UPLOAD-ID oss://BUCKET/KEY an unfinished upload (--uploads)
   Keys are printed verbatim: a key holding a newline spans two lines, so
   use --json where keys may contain control characters.

   -l adds columns before the URL, separated by two spaces, fixed-width:
      LAST-MODIFIED  SIZE  STORAGE-CLASS  TYPE  URL      objects
                     DIR                        URL      directories
      INITIATED  UPLOAD-ID  URL                          uploads
      CREATED  REGION  URL                               buckets
   Times are UTC, 2006-01-02T15:04:05Z. SIZE is in bytes, or with -h in
   IEC units (0 B, 1023 B, 1.5 KiB, 2.0 GiB). TYPE is Normal, Multipart or
   Appendable.

   --json prints one JSON object per line; times are RFC 3339 UTC with
   milliseconds, sizes are bytes, the ETag has no quotes:
      {"key":K,"size":N,"etag":E,"last_modified":T,"storage_class":S,"type":Y}
      {"prefix":P}                                     a directory
      {"key":K,"upload_id":U,"initiated":T}             an upload
      {"name":B,"region":R,"creation_date":T}           a bucket
   Keys in JSON are full keys, not URLs.

   --summary ends the output (stdout) with one more line counting what was
   printed (after --include/--exclude and --limit):
      total: N objects, B bytes, D directories     (-h: B in IEC units)
      total: N uploads  |  total: N buckets
      {"summary":{"objects":N,"bytes":B,"prefixes":D}}   with --json
      {"summary":{"uploads":N}}  |  {"summary":{"buckets":N}}

FILTERS
   --include and --exclude take glob patterns (Go path.Match: * ? [a-z]
   [^a-z], \ quotes; * does not match "/"). A pattern without "/" (or with
   "/" only at its end) matches the entry's name, its last path element, at
   any depth: "*.gz". A pattern with "/" inside matches the key relative to
   the listed directory (PREFIX up to its last "/"): "2024/*/*.gz" under
   oss://b/logs/. Directories keep their trailing "/", so --exclude '*/'
   hides them. An entry is printed when it matches any --include (or none
   was given) and no --exclude. Filters apply to bucket names too.
   --start-after takes a full key (not relative to PREFIX) or, for
   buckets, a bucket name; --limit counts entries printed.

OPTIONS{{template "visibleFlagCategoryTemplate" .}}

   -h is --human-readable (as in ls -lh); help is --help only.
   Short options combine: -rlh. Options go before the URL.

EXAMPLES
   ossls                                      buckets, one oss:// URL a line
   ossls -l oss://logs/                       top level of bucket logs
   ossls -rlh oss://logs/app/2024/            everything below, human sizes
   ossls -r --summary oss://logs/ | tail -1   count and size of a bucket
   ossls -r --include '*.tmp' --exclude 'keep/*' oss://logs/ | wc -l
   ossls -r --json oss://logs/ | jq -r 'select(.size > 1e9) | .key'
   ossls --uploads oss://logs/                leftover multipart uploads
   OSS_BUCKET=logs ossls -r app/              bare prefix, default bucket
   ossls -r --start-after app/2024/06/ --limit 10 oss://logs/app/

ENVIRONMENT
   OSS_ENDPOINT, OSS_REGION, OSS_BUCKET, OSS_ACCESS_KEY_ID,
   OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, OSS_PROFILE: see the README.

` + ossx.ExitCodesHelp + `
   ossls never exits 3: a listing either completes or fails.
`
