package gtail

import (
	"strings"

	"github.com/ossx/ossx/internal/keytmpl"
)

// usageText is gtail's SYNOPSIS, one form a line.
const usageText = `gtail [options] FILE|GLOB... oss://BUCKET/PREFIX/
gtail [options] FILE|GLOB... PREFIX/     (bucket: --bucket or $OSS_BUCKET)
gtail --once [options] FILE|GLOB... DEST (ship what is there; for cron)
gtail [options] - DEST                   (ship standard input)`

// helpText is gtail's DESCRIPTION and further sections, laid out for --help
// and the man page by internal/command (prose indented 3, literal blocks
// 6). Keep it in step with docs/gtail.md.
var helpText = `   gtail follows files like tail -F: globs are evaluated again on every
   inotify event in their directories (every --poll-interval where inotify
   cannot tell, and every --safety-interval in any case), so files created
   later are picked up; a file renamed away (logrotate's default) is read to
   its end through the descriptor gtail holds, while the new file is followed
   too; a truncated file (copytruncate, "> app.log") is noticed by a
   fingerprint of its first KiB even if it regrew past the old offset, and the
   bytes its copy holds are finished from the copy when it sits in the same
   directory and its bytes prove it (CRC64 of what was shipped). A followed
   file is read as soon as it is written, and its last bytes are held, so
   that lines written between logrotate's copy and its truncation are
   shipped too.

   Every new byte is appended to an OSS appendable object, unchanged: CRLF,
   NUL and invalid UTF-8 are kept. Only complete lines are sent; a trailing
   line without newline goes after --partial-timeout, when the file is
   rotated, or at shutdown. Appends are batched by --flush-interval and
   --flush-bytes. An object ends at --roll-size, and when the day (or hour)
   in its key changes; each generation of a file writes its own objects.

   Exactly once: a state file per destination (in --state-dir, mode 0600,
   replaced atomically) records for each file generation (device, inode,
   CRC64 of its head) how far it was shipped, to which object, and that
   object's length and CRC64. AppendObject only applies at the object's
   current length, so after a crash, a timeout or a lost answer gtail asks
   OSS for the object's length and CRC64 and accepts extra bytes only if
   they are exactly the file's next bytes. Anything else means another
   writer: that file is stopped with an error. A second gtail on the same
   state refuses to start; one with another state is stopped per file by
   the file's owner object (PREFIX.gtail/owner/HOST/PATH). A state that
   cannot be saved is retried; one that does not agree with the file is
   reconciled with the object or refused.

   When OSS is down gtail retries with backoff for as long as it takes; the
   files are the buffer and memory stays bounded. With --once it gives up
   after --retries and exits 1; the next run goes on where it stopped.
   Stopped (SIGTERM) while OSS is down, gtail gives up when
   --shutdown-timeout runs out, logs per file what it did not ship, saves
   its state and exits 130; the next start ships the rest. Bytes that vanish
   before gtail could ship them (a rotated file deleted while gtail was not
   running) are reported as lost in the log and the exit status.

   Standard input ("-") is shipped with the same appends but has no state:
   what gtail had read and not shipped when it is killed is lost.

KEYS
   Objects are named PREFIX + the --key template, by default

      ` + keytmpl.Default + `

   e.g. logs/web-1/var/log/app.log/2026-11-21/20261121T093000.000Z-0000.
   The fields:

` + indent(keytmpl.Fields, "      ") + `

   --gzip does not change the key: end the template in .gz (as in the
   example below) for tools that go by the name.

SIGNALS
      SIGTERM, SIGINT   ship what is there (within --shutdown-timeout), save
                        the state, exit 0
      SIGUSR1           log a status summary: files, bytes shipped, lag

EXAMPLES
   Follow the app's logs (a Kubernetes sidecar sharing /var/log/app):

      gtail '/var/log/app/*.log' oss://my-logs/prod/

   Ship whatever is new, from cron, compressed, keys ending in .gz:

      gtail --once --gzip --key '{host}/{file}/{date}/{gen}.gz' \
          /var/log/nginx/access.log oss://my-logs/nginx/

   Pipe a program's output:

      ./batch-job 2>&1 | gtail - oss://my-logs/jobs/

   Print the status of a running gtail:

      kill -USR1 $(pidof gtail)

EXIT STATUS
   With --once, 3 means some files failed and others were shipped. A clean
   stop on SIGTERM/SIGINT exits 0; 130 only if --shutdown-timeout ran out.`

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}
