package osslocal

import "github.com/ossx/ossx/internal/osslocal"

const usageText = `osslocal [--addr HOST:PORT] [--data DIR | --memory] [--bucket NAME]...
         [--access-key-id ID] [--faults SPEC] [--no-crc64] [--env-file FILE]
         [--verbose]`

// helpText is osslocal's DESCRIPTION and further sections, laid out for
// --help and the man page by internal/command.
const helpText = `   osslocal serves the Alibaba Cloud OSS REST API on a local address, so
   that programs using OSS (the ossx tools, aliyun-oss-go-sdk, ossutil) can
   be developed and tested without a cloud account. It checks request
   signatures (V1, V2 and V4, presigned URLs, STS tokens), supports buckets,
   objects, appendable objects, multipart uploads, listings, tagging,
   symlinks, bucket configurations, restores of cold objects and browser
   form uploads, and can be told to fail on purpose (--faults) to test how
   clients cope. A request for an OSS feature it does not implement is
   answered 501 NotImplemented and changes nothing; docs/osslocal.md lists
   what is implemented.

   On start it prints to stdout what a client needs, as shell lines:

      export OSS_ENDPOINT=http://127.0.0.1:9000
      export OSS_ACCESS_KEY_ID=...
      export OSS_ACCESS_KEY_SECRET=...
      export OSS_BUCKET=...              (the first --bucket, if any)

   and then serves until SIGINT or SIGTERM, when it finishes the requests
   in flight and exits with status 0. --env-file writes the same lines to
   a file (mode 0600, created whole, removed again at exit), so a script
   can start osslocal in the background, wait for the file and source it.

   Objects are kept in memory unless --data names a directory, where they
   survive restarts; an object being written is never visible half-written,
   even after a crash. A write is fsynced before it is answered; one that
   does not fit on the disk is answered 500 InternalError and changes
   nothing.

   Without --access-key-id, osslocal makes up a random access key for this
   run. The secret is taken from $OSSLOCAL_ACCESS_KEY_SECRET, or from
   --access-key-secret (visible to other users through ps: acceptable only
   for throwaway test keys).

   osslocal listens on the loopback interface only, unless --allow-remote
   is given: it is a test server. --addr 127.0.0.1:0 picks a free port.
   A client that takes over a minute to send its request headers, leaves
   a connection idle for two minutes, or stops sending a request body for
   a minute is disconnected, so stuck clients cannot pile up; an upload
   of any size takes as long as it needs while bytes keep coming.

   --no-crc64 drops the x-oss-hash-crc64ecma header from every answer, as
   OSS-compatible servers without CRC64 (Aliyun's Ruby oss-emulator) answer,
   to see what a client does then; ETags and the Content-MD5 check stay.

   Buckets are addressed path style (http://127.0.0.1:9000/BUCKET/KEY) or
   virtual-host style (Host: BUCKET.localhost:9000, or BUCKET. in front of
   any dotted name); a host like devbox.lan:9000 is path style.

` + osslocal.FaultSyntax + `

EXAMPLES

   Serve in memory on 127.0.0.1:9000 with a bucket; paste the printed
   lines into the shell that runs the client:

      osslocal --bucket demo

   Start on a free port in the background from a script, keep the data in
   a directory, and take the address and key from the env file:

      rm -f /tmp/oss.env
      osslocal --addr 127.0.0.1:0 --data /tmp/oss --bucket logs \
          --env-file /tmp/oss.env >/dev/null &
      while [ ! -e /tmp/oss.env ]; do sleep 0.1; done
      . /tmp/oss.env

   Fail three in ten uploads, and slow every download by a second:

      osslocal --bucket test --faults 'put:error=503:p=0.3;get:delay=1s'

   Switch faults at run time, from the same machine:

      curl -X PUT --data 'append:apply-then-fail:nth=2' $OSS_ENDPOINT/-/faults
      curl -X DELETE $OSS_ENDPOINT/-/faults

ENVIRONMENT

   OSSLOCAL_ACCESS_KEY_ID, OSSLOCAL_ACCESS_KEY_SECRET: the access key to
   accept, as --access-key-id and --access-key-secret.

EXIT STATUS

   A stop by SIGINT or SIGTERM is a clean exit: status 0.`
