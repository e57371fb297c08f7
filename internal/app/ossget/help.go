package ossget

const usageText = `ossget [flags] oss://BUCKET/KEY FILE
ossget [flags] oss://BUCKET/KEY DIR/
ossget [flags] oss://BUCKET/KEY -
ossget -r [flags] oss://BUCKET/PREFIX/ DIR/
ossget --cat [--gunzip] [flags] oss://BUCKET/PREFIX/ -`

const description = `Downloads an object from OSS and prints the path of every file written, one
per line on stdout, so that f=$(ossget oss://b/config.json /etc/app/) works.
SRC is oss://BUCKET/KEY or a bare KEY in the default bucket ($OSS_BUCKET or
--bucket). DEST is a file, a directory (ending in /, or existing: the key's
base name inside it) or - for stdout.

Every download is verified: the CRC64-ECMA of the bytes received is compared
with the object's x-oss-hash-crc64ecma, whatever its type (normal, multipart,
appendable); parallel ranges are combined, never read twice. An object
without a CRC64 is checked against its Content-MD5, else downloaded with a
warning ("verified": "none" in --json), or refused with --require-verified.

A file is written to a temporary file beside it (.NAME.ossget-XXXX), synced
and renamed into place: a failure, a mismatch, kill -9 or Ctrl-C never
leaves a torn file, and never touches a file that was there before. Every
request after the first is pinned with If-Match to the ETag first seen, so
an object replaced mid-download is an error, never a mix of two versions
(an appendable object, which only grows, is read up to the size first seen).
A file replaced keeps its mode and, run as root, its owner. A symlink DEST is
followed (the file it points to is replaced); /dev/stdout is -, and
/dev/stderr, /dev/fd/N and a device or FIFO DEST (/dev/null) are written
to in order, never replaced.

Objects above --threshold come in --jobs parallel ranged GETs of
--part-size. Into a file, such a download survives kill -9, a lost network
or Ctrl-C (exit 130): run the same command again and it continues from the
parts already fetched. Its checkpoint lives under $XDG_STATE_HOME/ossx
(default ~/.local/state/ossx), and is removed once the file is complete. To
stdout the parts are written in order, at most --jobs parts held in memory.

-r mirrors every object below a prefix into DIR, keeping the keys' paths
relative to the prefix's directory; keys ending in / become directories. A
key that could not be a path inside DIR (a ".." or "." element, a leading
/, //, a control character, a name too long for the file system) is refused
and named on stderr, the others go on (exit 3): nothing is ever written
outside DIR, whatever symlinks it holds.

--cat writes every object below a prefix to stdout in key order: for a
prefix gtail ships to, that is the original log. --gunzip decodes gzip
objects on the way, multi-member ones (gtail --gzip) included.`

const helpTail = `EXAMPLES
   Fetch a config file at container start, verified:
       ossget oss://my-bucket/app/config.json /etc/app/config.json

   A large backup, 8 ranges at a time; Ctrl-C and re-run to resume:
       ossget -j 8 oss://my-bucket/db/2024-06-01.sql.gz /restore/

   Stream an object into a pipe:
       ossget oss://my-bucket/db/dump.sql.gz - | gunzip | psql mydb

   Mirror a prefix, skipping files already there:
       ossget -r --skip-unchanged oss://my-bucket/site/ ./public/

   The log gtail shipped, whole again:
       ossget --cat oss://logs/web1/app/ - > app.log
       ossget --cat --gunzip oss://logs/web1/app/ - > app.log    (gtail --gzip)

   Machine-readable output:
       ossget --json -r oss://my-bucket/img/ ./img/

ENVIRONMENT
      OSS_ENDPOINT, OSS_REGION, OSS_BUCKET, OSS_ACCESS_KEY_ID,
      OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, OSS_PROFILE: see the README.
      XDG_STATE_HOME          checkpoints go to $XDG_STATE_HOME/ossx
                              (default ~/.local/state/ossx)
      HTTPS_PROXY, NO_PROXY   proxy settings

FILES
      ~/.local/state/ossx/downloads/
             checkpoints of unfinished ranged downloads (0600)
      DIR/.NAME.ossget-XXXX
             a file being downloaded; kept for resuming after an
             interruption, removed on any other failure`
