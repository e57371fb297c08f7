package osslocal

// Fault injection. The reliability promises of the ossx tools ("the upload
// arrived whole", "no log byte lost or duplicated") are only worth something
// if they hold when OSS misbehaves, so the server can be told to misbehave on
// purpose: answer 5xx, reset the connection half-way through a body, stall,
// corrupt a checksum, or carry out a write and then drop the connection so
// the client cannot know it succeeded.
//
// Faults are rules. Each rule selects requests by operation (and optionally
// bucket and key prefix), decides whether to fire (always, with a
// probability, on the Nth matching request, on every Nth, at most T times)
// and says what to do. Rules are set from Go (NewFaults, Add, Set, Clear),
// from the osslocal binary (--faults SPEC) and at run time through the admin
// endpoint /-/faults, all with the same text syntax, FaultSyntax below.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultSyntax documents the text form of fault rules accepted by ParseFaults,
// osslocal --faults and PUT /-/faults. It is printed by osslocal --help.
const FaultSyntax = `FAULT RULES
   A spec is a list of rules separated by ';' or newlines; '#' starts a
   comment that runs to the end of the line. A rule is an operation followed
   by ':'-separated fields, in any order, exactly one of which is the action:

      OP:ACTION[:OPTION]...

   OP is the request it applies to:
      put          PutObject (not copies, parts or ACL changes)
      append       AppendObject (POST ?append)
      upload-part  UploadPart (PUT ?partNumber&uploadId)
      complete     CompleteMultipartUpload (POST ?uploadId)
      initiate     InitiateMultipartUpload (POST ?uploads)
      copy         CopyObject (PUT with x-oss-copy-source)
      list         ListObjects / ListObjectsV2 / ListBuckets
      head         HeadObject and GetObjectMeta
      get          GetObject
      delete       DeleteObject, DeleteMultipleObjects, AbortMultipartUpload
      any          every request

   ACTION is what happens when the rule fires:
      error[=STATUS]   answer STATUS (default 500) with an OSS XML error:
                       500 InternalError, 503 ServiceUnavailable, other
                       statuses a code derived from the status text
      reset[=BYTES]    read BYTES of the request body (default 0; k and m
                       suffixes for KiB and MiB), then reset the TCP
                       connection; the request is not carried out
      delay=DURATION   wait DURATION (e.g. 200ms, 2s) before handling the
                       request (and before reading its body); delays add up
                       and do not stop another rule from firing on the
                       same request
      apply-then-fail  carry out the request, then reset the connection
                       instead of answering: the client cannot know that it
                       succeeded
      corrupt-crc      carry out the request, but answer a wrong
                       x-oss-hash-crc64ecma header

   OPTIONs narrow when the rule fires:
      p=PROB         fire with probability PROB, 0 < PROB <= 1 (default 1)
      nth=N          fire on the Nth request the rule matches (counting from 1)
      every=N        fire on every Nth matching request; with nth, on the
                     nth and every Nth after it
      times=N        fire at most N times
      bucket=NAME    only requests to bucket NAME
      prefix=PREFIX  only keys starting with PREFIX (URL-escaped: %3A for ':')
      code=CODE      with error: the OSS error code to answer

   Every rule counts the requests it matches, whether or not an earlier rule
   fired on them; the first non-delay rule that fires decides the outcome.
   Go's HTTP client silently retries a GET or HEAD whose reused connection
   is reset before any answer, so a reset or apply-then-fail rule that fires
   once on those may not reach the caller.

   Examples:
      put:error=503:p=0.3
      append:apply-then-fail:nth=3
      upload-part:reset=64k:times=2
      get:delay=200ms;list:error:every=2:bucket=logs

   At run time, on the server's own address (loopback clients only):
      curl -X PUT --data 'put:error=503:nth=1' $OSS_ENDPOINT/-/faults  (replace)
      curl -X POST --data 'get:delay=1s' $OSS_ENDPOINT/-/faults        (add)
      curl $OSS_ENDPOINT/-/faults                                      (list)
      curl -X DELETE $OSS_ENDPOINT/-/faults                            (clear)`

// Op names the OSS operation a request performs, as fault rules select it.
type Op string

// Operations a fault rule can select.
const (
	OpAny        Op = "any"
	OpPut        Op = "put"
	OpAppend     Op = "append"
	OpUploadPart Op = "upload-part"
	OpComplete   Op = "complete"
	OpInitiate   Op = "initiate"
	OpCopy       Op = "copy"
	OpList       Op = "list"
	OpHead       Op = "head"
	OpGet        Op = "get"
	OpDelete     Op = "delete"
	// OpOther is every request no other Op names (ACLs, bucket management,
	// ListParts…); only OpAny rules select it.
	OpOther Op = "other"
)

var knownOps = []Op{OpPut, OpAppend, OpUploadPart, OpComplete, OpInitiate, OpCopy, OpList, OpHead, OpGet, OpDelete, OpAny}

// FaultKind is what a rule does when it fires.
type FaultKind string

// Fault kinds.
const (
	FaultError         FaultKind = "error"
	FaultReset         FaultKind = "reset"
	FaultDelay         FaultKind = "delay"
	FaultApplyThenFail FaultKind = "apply-then-fail"
	FaultCorruptCRC    FaultKind = "corrupt-crc"
)

// Rule is one fault rule. The zero values of the optional fields mean "no
// restriction"; see FaultSyntax for the semantics.
type Rule struct {
	ID     int // assigned by Add and Set; ignored on input
	Op     Op
	Bucket string // only this bucket, if set
	Prefix string // only keys with this prefix, if set

	Kind   FaultKind
	Status int           // FaultError: HTTP status, default 500
	Code   string        // FaultError: OSS error code, default from Status
	Bytes  int64         // FaultReset: request body bytes read before the reset
	Delay  time.Duration // FaultDelay

	P     float64 // probability of firing, (0, 1]; 0 means 1
	Nth   int     // fire on the Nth matching request (from 1); 0: no restriction
	Every int     // fire on every Nth matching request (after Nth if set)
	Times int     // fire at most Times times; 0: unlimited

	// Filled in by Faults.Rules; ignored on input.
	Matched int // requests the rule selected
	Fired   int // times it fired
}

// String renders r in the syntax ParseFaults reads.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(string(r.Op))
	b.WriteString(":")
	b.WriteString(string(r.Kind))
	switch r.Kind {
	case FaultError:
		if r.Status != 0 {
			fmt.Fprintf(&b, "=%d", r.Status)
		}
		if r.Code != "" {
			b.WriteString(":code=" + r.Code)
		}
	case FaultReset:
		if r.Bytes != 0 {
			fmt.Fprintf(&b, "=%d", r.Bytes)
		}
	case FaultDelay:
		fmt.Fprintf(&b, "=%s", r.Delay)
	}
	if r.Bucket != "" {
		b.WriteString(":bucket=" + r.Bucket)
	}
	if r.Prefix != "" {
		b.WriteString(":prefix=" + escapeField(r.Prefix))
	}
	if r.P != 0 && r.P != 1 {
		b.WriteString(":p=" + strconv.FormatFloat(r.P, 'g', -1, 64))
	}
	if r.Nth != 0 {
		fmt.Fprintf(&b, ":nth=%d", r.Nth)
	}
	if r.Every != 0 {
		fmt.Fprintf(&b, ":every=%d", r.Every)
	}
	if r.Times != 0 {
		fmt.Fprintf(&b, ":times=%d", r.Times)
	}
	return b.String()
}

// escapeField percent-escapes the characters that separate fields, rules
// and comments, and whatever else url.PathEscape escapes.
func escapeField(s string) string {
	return strings.NewReplacer(":", "%3A", ";", "%3B", "#", "%23").Replace(url.PathEscape(s))
}

// validate checks r's fields and fills in defaults.
func (r *Rule) validate() error {
	if !knownOp(r.Op) {
		return fmt.Errorf("unknown operation %q (want one of %s)", r.Op, opList())
	}
	switch r.Kind {
	case FaultError:
		if r.Status == 0 {
			r.Status = http.StatusInternalServerError
		}
		if r.Status < 400 || r.Status > 599 {
			return fmt.Errorf("error status %d is not in 400-599", r.Status)
		}
	case FaultReset:
		if r.Bytes < 0 {
			return fmt.Errorf("reset bytes %d is negative", r.Bytes)
		}
	case FaultDelay:
		if r.Delay <= 0 {
			return fmt.Errorf("delay needs a positive duration, e.g. delay=200ms")
		}
	case FaultApplyThenFail, FaultCorruptCRC:
	case "":
		return fmt.Errorf("no action (want one of error, reset, delay, apply-then-fail, corrupt-crc)")
	default:
		return fmt.Errorf("unknown action %q", r.Kind)
	}
	if r.Code != "" && r.Kind != FaultError {
		return fmt.Errorf("code= applies only to error")
	}
	if r.P < 0 || r.P > 1 {
		return fmt.Errorf("probability %g is not in (0, 1]", r.P)
	}
	if r.P == 1 {
		r.P = 0 // the same, in one spelling
	}
	if r.Nth < 0 || r.Every < 0 || r.Times < 0 {
		return fmt.Errorf("nth, every and times must be positive")
	}
	return nil
}

func knownOp(op Op) bool {
	for _, k := range knownOps {
		if op == k {
			return true
		}
	}
	return false
}

func opList() string {
	s := make([]string, len(knownOps))
	for i, op := range knownOps {
		s[i] = string(op)
	}
	return strings.Join(s, ", ")
}

// ParseFaults parses a spec in the syntax described by FaultSyntax. An empty
// spec (or one of only comments) is no rules.
func ParseFaults(spec string) ([]Rule, error) {
	var rules []Rule
	for _, line := range strings.Split(spec, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, text := range strings.Split(line, ";") {
			text = strings.TrimSpace(text)
			if text == "" {
				continue
			}
			r, err := parseRule(text)
			if err != nil {
				return nil, fmt.Errorf("fault rule %q: %w", text, err)
			}
			rules = append(rules, r)
		}
	}
	return rules, nil
}

func parseRule(text string) (Rule, error) {
	fields := strings.Split(text, ":")
	r := Rule{Op: Op(strings.TrimSpace(fields[0]))}
	if !knownOp(r.Op) {
		return r, fmt.Errorf("unknown operation %q (want one of %s)", r.Op, opList())
	}
	for _, f := range fields[1:] {
		name, val, hasVal := strings.Cut(strings.TrimSpace(f), "=")
		var err error
		switch kind := FaultKind(name); kind {
		case FaultError, FaultReset, FaultDelay, FaultApplyThenFail, FaultCorruptCRC:
			if r.Kind != "" {
				return r, fmt.Errorf("two actions, %s and %s", r.Kind, kind)
			}
			r.Kind = kind
			switch {
			case kind == FaultError && hasVal:
				r.Status, err = strconv.Atoi(val)
			case kind == FaultReset && hasVal:
				r.Bytes, err = parseSize(val)
			case kind == FaultDelay && hasVal:
				r.Delay, err = time.ParseDuration(val)
			case hasVal:
				err = errors.New("takes no value")
			}
		case "p":
			r.P, err = strconv.ParseFloat(val, 64)
			if err == nil && r.P == 0 {
				err = errors.New("must be above 0")
			}
		case "nth":
			r.Nth, err = parseCount(val)
		case "every":
			r.Every, err = parseCount(val)
		case "times":
			r.Times, err = parseCount(val)
		case "bucket":
			r.Bucket = val
			if val == "" {
				err = errors.New("needs a value")
			}
		case "prefix":
			r.Prefix, err = url.PathUnescape(val)
		case "code":
			r.Code = val
			if val == "" {
				err = errors.New("needs a value")
			}
		case "":
			err = errors.New("empty field")
		default:
			return r, fmt.Errorf("unknown field %q", name)
		}
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) {
				err = ne.Err
			}
			return r, fmt.Errorf("%s: %w", strings.TrimSpace(f), err)
		}
	}
	return r, r.validate()
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n < 1 {
		err = errors.New("must be 1 or more")
	}
	return n, err
}

// parseSize reads a byte count with an optional k or m (KiB, MiB) suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
	case n < 0:
		err = errors.New("must not be negative")
	case n > math.MaxInt64/mult:
		err = strconv.ErrRange
	}
	return n * mult, err
}

// Faults holds fault rules and injects them into requests through Wrap. It is
// safe for concurrent use; rules can change while requests are served. The
// zero value has no rules and a fixed seed.
type Faults struct {
	mu     sync.Mutex
	rng    *rand.Rand
	rules  []*Rule
	nextID int
	fired  map[Op]int
	logf   func(format string, args ...any)
}

// NewFaults returns a Faults without rules whose probabilities are drawn from
// a generator seeded with seed, so that a test run can be repeated exactly.
func NewFaults(seed int64) *Faults {
	return &Faults{rng: rand.New(rand.NewPCG(uint64(seed), 0x6f73736c6f63616c))}
}

// SetLogf sets a function called with a line for every fault that fires.
func (f *Faults) SetLogf(logf func(format string, args ...any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logf = logf
}

// Add validates r and appends it to the rules, returning its ID.
func (f *Faults) Add(r Rule) (int, error) {
	if err := r.validate(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.add(r), nil
}

func (f *Faults) add(r Rule) int {
	f.nextID++
	r.ID, r.Matched, r.Fired = f.nextID, 0, 0
	f.rules = append(f.rules, &r)
	return r.ID
}

// Set replaces all rules with rules, validating them first: on error nothing
// changes.
func (f *Faults) Set(rules []Rule) error {
	rules = append([]Rule(nil), rules...) // validate fills in defaults
	for i := range rules {
		if err := rules[i].validate(); err != nil {
			return fmt.Errorf("fault rule %q: %w", rules[i], err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	for _, r := range rules {
		f.add(r)
	}
	return nil
}

// Remove deletes the rule with the given ID and reports whether it existed.
func (f *Faults) Remove(id int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.ID == id {
			f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			return true
		}
	}
	return false
}

// Clear removes every rule. The Fired counters are kept.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Rules returns a copy of the rules with their Matched and Fired counts.
func (f *Faults) Rules() []Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Rule, len(f.rules))
	for i, r := range f.rules {
		out[i] = *r
	}
	return out
}

// Fired returns how many faults fired on requests of operation op since f was
// made (OpAny: on all requests), including those of rules since removed.
func (f *Faults) Fired(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != OpAny {
		return f.fired[op]
	}
	n := 0
	for _, c := range f.fired {
		n += c
	}
	return n
}

// target is what a request addresses, as far as rules care.
type target struct {
	op          Op
	bucket, key string
}

func (t target) String() string {
	if t.key == "" {
		return fmt.Sprintf("%s /%s", t.op, t.bucket)
	}
	return fmt.Sprintf("%s /%s/%s", t.op, t.bucket, t.key)
}

// decide counts the request against every rule it matches and returns the
// total delay to apply and the first non-delay rule that fires, if any. The
// log lines are written after the lock is released, so a slow log cannot
// hold up other requests.
func (f *Faults) decide(t target) (delay time.Duration, fire *Rule) {
	var logs []string
	f.mu.Lock()
	logf := f.logf
	for _, r := range f.rules {
		if !r.selects(t) {
			continue
		}
		r.Matched++
		if (r.Kind != FaultDelay && fire != nil) || !r.due(f.random) {
			continue
		}
		r.Fired++
		if f.fired == nil {
			f.fired = make(map[Op]int)
		}
		f.fired[t.op]++
		if logf != nil {
			logs = append(logs, fmt.Sprintf("fault: %s: rule %d %s fired (%d of %d matching)", t, r.ID, r, r.Fired, r.Matched))
		}
		if r.Kind == FaultDelay {
			delay += r.Delay
			continue
		}
		c := *r
		fire = &c
	}
	f.mu.Unlock()
	for _, line := range logs {
		logf("%s", line)
	}
	return delay, fire
}

// random returns a number in [0, 1). Called with f.mu held.
func (f *Faults) random() float64 {
	if f.rng == nil {
		f.rng = NewFaults(0).rng
	}
	return f.rng.Float64()
}

func (r *Rule) selects(t target) bool {
	return (r.Op == OpAny || r.Op == t.op) &&
		(r.Bucket == "" || r.Bucket == t.bucket) &&
		(r.Prefix == "" || (t.key != "" && strings.HasPrefix(t.key, r.Prefix)))
}

// due reports whether r fires on the request just counted in r.Matched.
func (r *Rule) due(random func() float64) bool {
	n := r.Matched
	switch {
	case r.Times > 0 && r.Fired >= r.Times:
		return false
	case r.Nth > 0 && r.Every > 0:
		if n < r.Nth || (n-r.Nth)%r.Every != 0 {
			return false
		}
	case r.Nth > 0:
		if n != r.Nth {
			return false
		}
	case r.Every > 0:
		if n%r.Every != 0 {
			return false
		}
	}
	return r.P == 0 || r.P >= 1 || random() < r.P
}

// Wrap returns next with fault injection in front of it, and the admin
// endpoint /-/faults.
func (f *Faults) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := classify(r)
		if t.bucket == adminBucket {
			f.serveAdmin(w, r)
			return
		}
		delay, rule := f.decide(t)
		if delay > 0 && !sleep(r.Context(), delay) {
			return
		}
		if rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		switch rule.Kind {
		case FaultError:
			code := rule.Code
			if code == "" {
				code = errorCode(rule.Status)
			}
			WriteError(w, r, NewError(rule.Status, code, "Injected fault (osslocal rule %d: %s).", rule.ID, rule))
		case FaultReset:
			if _, err := io.CopyN(io.Discard, r.Body, rule.Bytes); err != nil && err != io.EOF {
				return
			}
			resetConn(w)
		case FaultApplyThenFail:
			next.ServeHTTP(&discardWriter{header: make(http.Header)}, r)
			resetConn(w)
		case FaultCorruptCRC:
			c := &headerEditor{ResponseWriter: w, edit: corruptCRC64}
			next.ServeHTTP(c, r)
			if !c.done {
				// The handler set headers but wrote nothing; the header
				// must still be changed before net/http sends it.
				c.WriteHeader(http.StatusOK)
			}
		}
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errorCode names the OSS error code answered for status.
func errorCode(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "InternalError"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	}
	if text := http.StatusText(status); text != "" {
		return strings.NewReplacer(" ", "", "-", "", "'", "").Replace(text)
	}
	return "InjectedFault"
}

// resetConn drops the client's connection with a TCP RST, so that the client
// sees "connection reset by peer" rather than a clean end of stream. Where
// the connection cannot be hijacked, aborting the handler still closes it
// without a response.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// discardWriter receives the response of an apply-then-fail request, which
// the client never gets.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// headerEditor applies edit to a response's headers once, as they are
// sent: the corrupt-crc fault flips the CRC64 (corruptCRC64),
// Options.NoCRC64 drops it (withoutCRC64).
type headerEditor struct {
	http.ResponseWriter
	edit func(http.Header)
	done bool
}

func (e *headerEditor) WriteHeader(status int) {
	if !e.done {
		e.done = true
		e.edit(e.Header())
	}
	e.ResponseWriter.WriteHeader(status)
}

func (e *headerEditor) Write(p []byte) (int, error) {
	if !e.done {
		e.WriteHeader(http.StatusOK)
	}
	return e.ResponseWriter.Write(p)
}

func (e *headerEditor) Unwrap() http.ResponseWriter { return e.ResponseWriter }

const headerCRC64 = "x-oss-hash-crc64ecma"

// corruptCRC64 flips the bits of the x-oss-hash-crc64ecma header, so a
// client that verifies CRC64 must notice.
func corruptCRC64(h http.Header) {
	if v := h.Get(headerCRC64); v != "" {
		crc, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			crc = 0
		}
		h.Set(headerCRC64, strconv.FormatUint(^crc, 10))
	}
}

// adminBucket is the bucket name of the admin endpoint. "-" is not a valid
// OSS bucket name, so it cannot collide with a real bucket.
const adminBucket = "-"

// serveAdmin answers /-/faults: GET lists the rules (in the spec syntax, with
// counts as comments), PUT replaces them with the spec in the body, POST adds
// the body's rules, DELETE clears them (or only rule ?id=N). It needs no
// signature, so it answers only clients on the loopback interface.
func (f *Faults) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if !fromLoopback(r) {
		WriteError(w, r, NewError(http.StatusForbidden, "AccessDenied", "The fault admin endpoint answers loopback clients only."))
		return
	}
	if r.URL.Path != "/-/faults" {
		WriteError(w, r, NewError(http.StatusNotFound, "NoSuchKey", "The admin endpoint is /-/faults."))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		rules, err := ParseFaults(string(body))
		if err != nil {
			WriteError(w, r, NewError(http.StatusBadRequest, "InvalidArgument", "%s", err))
			return
		}
		if r.Method == http.MethodPut {
			err = f.Set(rules)
		} else {
			for _, rule := range rules {
				if _, err = f.Add(rule); err != nil {
					break
				}
			}
		}
		if err != nil {
			WriteError(w, r, NewError(http.StatusBadRequest, "InvalidArgument", "%s", err))
			return
		}
	case http.MethodDelete:
		if s := r.URL.Query().Get("id"); s != "" {
			id, err := strconv.Atoi(s)
			if err != nil || !f.Remove(id) {
				WriteError(w, r, NewError(http.StatusNotFound, "NoSuchKey", "No fault rule with id %q.", s))
				return
			}
		} else {
			f.Clear()
		}
	default:
		WriteError(w, r, NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The admin endpoint takes GET, PUT, POST and DELETE."))
		return
	}
	var b strings.Builder
	for _, rule := range f.Rules() {
		fmt.Fprintf(&b, "%s # id=%d matched=%d fired=%d\n", rule, rule.ID, rule.Matched, rule.Fired)
	}
	requestID(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, b.String())
	}
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// classify names the operation, bucket and key of r. Bucket and key come from
// the path (path style, which aliyun-oss-go-sdk uses for IP endpoints), or
// from the Host header (virtual-host style, e.g. bucket.localhost:9000;
// see hostBucket).
func classify(r *http.Request) target {
	var t target
	path := strings.TrimPrefix(r.URL.Path, "/")
	if bucket, ok := hostBucket(r.Host); ok {
		t.bucket, t.key = bucket, path
	} else {
		t.bucket, t.key, _ = strings.Cut(path, "/")
	}
	t.op = classifyOp(r, t)
	return t
}

func classifyOp(r *http.Request, t target) Op {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch {
	case t.bucket == "":
		if r.Method == http.MethodGet {
			return OpList // ListBuckets
		}
	case t.key == "":
		switch {
		case r.Method == http.MethodGet && onlyListParams(q):
			return OpList
		case r.Method == http.MethodPost && has("delete"):
			return OpDelete
		}
	default:
		switch r.Method {
		case http.MethodPut:
			switch {
			case has("partNumber") && has("uploadId"):
				return OpUploadPart
			case has("acl"), has("symlink"), has("tagging"):
				return OpOther
			case r.Header.Get("x-oss-copy-source") != "":
				return OpCopy
			}
			return OpPut
		case http.MethodPost:
			switch {
			case has("append"):
				return OpAppend
			case has("uploads"):
				return OpInitiate
			case has("uploadId"):
				return OpComplete
			}
		case http.MethodHead:
			return OpHead
		case http.MethodGet:
			if !has("acl") && !has("uploadId") && !has("symlink") && !has("tagging") && !has("objectMeta") {
				return OpGet
			}
			if has("objectMeta") {
				return OpHead
			}
		case http.MethodDelete:
			return OpDelete
		}
	}
	return OpOther
}

// listParams are the query parameters of ListObjects and ListObjectsV2; a
// bucket GET with any other parameter is a sub-resource (acl, location…).
var listParams = map[string]bool{
	"prefix": true, "delimiter": true, "marker": true, "max-keys": true, "encoding-type": true,
	"list-type": true, "continuation-token": true, "start-after": true, "fetch-owner": true,
}

func onlyListParams(q url.Values) bool {
	for k := range q {
		if !listParams[k] {
			return false
		}
	}
	return true
}
