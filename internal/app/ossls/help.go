package ossls

// The help text is ossls's DESCRIPTION and further sections for --help and
// the man page (internal/command lays them out): a section name at the
// margin, prose indented three spaces, literal blocks six. Keep it in step
// with docs/ossls.md.

const usageText = `ossls [options]                          list buckets
ossls [options] oss://BUCKET[/PREFIX]    list objects
ossls [options] PREFIX                   list objects of the default bucket
ossls --uploads [options] [oss://BUCKET[/PREFIX]]`

const helpText = `   With no argument ossls lists the buckets of the account, even when
   OSS_BUCKET is set, so a bare "ossls" means the same everywhere. Give
   --bucket NAME on the command line (or --uploads) to list the default
   bucket instead.

   With an argument it lists the objects whose keys start with PREFIX, one
   level deep: keys containing a further "/" are rolled up into
   "directories" (common prefixes) printed with a trailing "/". -r lists
   every key below the prefix instead. PREFIX is a plain key prefix, not a
   path: oss://b/logs lists logs/ and logs.txt alike, oss://b/logs/ lists
   inside logs/. A bare PREFIX (no oss://) is in the default bucket
   (--bucket or OSS_BUCKET). --uploads lists unfinished multipart uploads
   below the prefix, at every depth, so that leftovers can be found. An
   empty argument ("") is an error, not a request for the buckets.

   Entries come out in key order (byte order of the UTF-8 keys), page by
   page as OSS returns them (1000 per request; the next page is fetched
   while one is printed), so memory stays constant and the first line
   appears at once even for millions of keys. A closed stdout (ossls | head)
   ends ossls quietly with status 0. If a request fails after its retries,
   the lines already printed are complete and correct, the error goes to
   stderr and the status is 1.

OUTPUT

   Default: one entry per line, the entry's full URL, ready for scripts:

      oss://BUCKET/KEY              an object
      oss://BUCKET/PREFIX/          a directory (not with -r)
      oss://BUCKET                  a bucket
      UPLOAD-ID oss://BUCKET/KEY    an unfinished upload (--uploads)

   Keys are printed verbatim: a key holding a newline spans two lines, so
   use --json where keys may contain control characters.

   -l adds fixed-width columns before the URL, separated by two spaces:

      LAST-MODIFIED  SIZE  STORAGE-CLASS  TYPE  URL    objects
                     DIR                        URL    directories
      INITIATED  UPLOAD-ID  URL                        uploads
      CREATED  REGION  URL                             buckets

   Times are UTC, as 2006-01-02T15:04:05Z. SIZE is in bytes, or with -H in
   IEC units (0 B, 1023 B, 1.5 KiB, 2.0 GiB). TYPE is Normal, Multipart or
   Appendable.

   --json prints one JSON object per line; times are RFC 3339 UTC with
   milliseconds, sizes are bytes, the ETag has no quotes, keys are full
   keys (not URLs):

      {"key":K,"size":N,"etag":E,"last_modified":T,"storage_class":S,"type":Y}
      {"prefix":P}                               a directory
      {"key":K,"upload_id":U,"initiated":T}      an upload
      {"name":B,"region":R,"creation_date":T}    a bucket

   --summary ends the output (on stdout) with one more line counting what
   was printed, after --include, --exclude and --limit:

      total: N objects, B bytes, D directories    (-H: B in IEC units)
      total: N uploads
      total: N buckets
      {"summary":{"objects":N,"bytes":B,"prefixes":D}}    with --json
      {"summary":{"uploads":N}}
      {"summary":{"buckets":N}}

   --sign DURATION prints, for each object, a presigned GET URL valid for
   DURATION (at least 1s) in place of its oss:// URL: in -l's last column
   and as "url" in --json. Any HTTP client can fetch it without
   credentials until it expires. It is signed V4 when the region is known
   (--region, OSS_REGION), else V1, and carries the STS token when there is
   one. Directories keep their oss:// URL; buckets and uploads cannot be
   signed.

FILTERS

   --include and --exclude take glob patterns, in Go's path.Match syntax:

      *        any run of characters except "/"
      ?        any one character except "/"
      [a-z]    one character of the class; [^a-z] one not in it
      \c       the character c itself

   A pattern with no "/" (or only a final one) matches the entry's name,
   its last path element, at any depth. A pattern with a "/" inside matches
   the key relative to the listed directory (PREFIX up to its last "/").
   Directories keep their trailing "/". An entry is printed when it matches
   some --include (or none was given) and no --exclude. Bucket listings
   match bucket names. Commas are part of a pattern. For example, under
   oss://b/logs/ with -r:

      --include '*.gz'           every .gz file, at any depth
      --include '2024/*/*.gz'    .gz files two levels below logs/2024/
      --exclude '*/'             no directories (without -r)

   --start-after takes a full key (not relative to PREFIX), or for a bucket
   listing a bucket name. --limit counts entries printed.

EXAMPLES

      ossls                                      buckets, one URL a line
      ossls -l oss://logs/                       top level of bucket logs
      ossls -rlH oss://logs/app/2024/            everything below, human sizes
      ossls -r --summary oss://logs/ | tail -1   count and size of a bucket
      ossls -r --json oss://logs/ | jq -r 'select(.size > 1e9) | .key'
      ossls --uploads oss://logs/                leftover multipart uploads
      ossls -r --sign 24h oss://share/q3/        links to share for a day
      OSS_BUCKET=logs ossls -r app/              bare prefix, default bucket
      ossls -r --start-after app/2024/06/ --limit 10 oss://logs/app/

ENVIRONMENT

   OSS_ENDPOINT, OSS_REGION, OSS_BUCKET, OSS_ACCESS_KEY_ID,
   OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, OSS_PROFILE: see the README.

NOTES

   -h is --help, as in every ossx tool; human-readable sizes (ls -lh) are
   -H, --human-readable or --human. Short options combine (-rlH). Options
   go before the URL.

EXIT STATUS

   A listing either completes or fails: ossls never exits with status 3.`
