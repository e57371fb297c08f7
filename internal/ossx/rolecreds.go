package ossx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ossx/ossx/internal/version"
)

// ECS RAM role and ACK RRSA (AssumeRoleWithOIDC) credentials, fetched and
// refreshed as aliyun/credentials-go v1.4.14 does it (providers/
// ecs_ram_role.go and providers/oidc.go: same requests, environment
// variables, timeouts and 180 s refresh margin). Not through that module:
// its providers package links gopkg.in/ini.v1, whose init compiles
// regexps at every start (0.4 ms), and os/exec, for providers the tools
// never use: 61 KB of every binary but osslocal.

// refreshMargin: credentials with less validity left are fetched again
// before use (credentials-go's needUpdateCredential).
const refreshMargin = 180 * time.Second

// refreshingSource caches what fetch returns until refreshMargin before it
// expires, so every request is signed with a valid set. The mutex makes
// concurrent part uploads wait for one fetch instead of each making its own.
type refreshingSource struct {
	mu      sync.Mutex
	fetch   func() (Credentials, time.Time, error)
	from    string
	cur     Credentials
	expires time.Time
}

func (s *refreshingSource) Get() (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.expires.IsZero() || time.Until(s.expires) <= refreshMargin {
		c, expires, err := s.fetch()
		if err != nil {
			return Credentials{}, &CredentialsError{From: s.from, Err: err}
		}
		RegisterSecret(c.AccessKeySecret)
		RegisterSecret(c.SecurityToken)
		s.cur, s.expires = c, expires
	}
	return s.cur, nil
}

func (s *refreshingSource) Describe() string { return s.from }

// roleProxy, when set, is the HTTP proxy that the requests to the ECS
// metadata service and to STS go through. Their hosts are fixed
// (100.100.100.200, sts.aliyuncs.com), so this is how tests answer them
// from a loopback server without any traffic leaving the machine. Empty:
// the environment's proxy settings apply (HTTP_PROXY, HTTPS_PROXY,
// NO_PROXY), as they do for credentials-go.
var roleProxy string

// roleClient is the HTTP client of one credentials source: connect bounds
// the dial, connect+read the whole exchange (credentials-go's
// ConnectTimeout and ReadTimeout).
func roleClient(connect, read time.Duration) (*http.Client, error) {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: connect + read,
		IdleConnTimeout:     90 * time.Second,
	}
	if roleProxy != "" {
		u, err := url.Parse(roleProxy)
		if err != nil {
			return nil, err
		}
		tr.Proxy = http.ProxyURL(u)
	}
	return &http.Client{Transport: tr, Timeout: connect + read}, nil
}

// roleAnswer is one response of the metadata service or STS.
type roleAnswer struct {
	status int
	body   []byte
}

func roleDo(c *http.Client, req *http.Request) (roleAnswer, error) {
	req.Header.Set("User-Agent", version.UserAgent())
	resp, err := c.Do(req)
	if err != nil {
		return roleAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return roleAnswer{}, err
	}
	return roleAnswer{status: resp.StatusCode, body: body}, nil
}

// failure describes an answer other than 200 for an error message: the
// status and the start of the body (an error document, never credentials).
func (a roleAnswer) failure() error {
	body := strings.Join(strings.Fields(string(a.body)), " ")
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	if body == "" {
		return fmt.Errorf("HTTP %d", a.status)
	}
	return fmt.Errorf("HTTP %d: %s", a.status, body)
}

// stsExpiration is the format of Expiration in the answers of both.
const stsExpiration = "2006-01-02T15:04:05Z"

// roleCredentials is the credential part of both answers. Fields are
// pointers so that a missing one is told from an empty one.
type roleCredentials struct {
	AccessKeyID     *string `json:"AccessKeyId"`
	AccessKeySecret *string `json:"AccessKeySecret"`
	SecurityToken   *string `json:"SecurityToken"`
	Expiration      *string `json:"Expiration"`
}

func (r *roleCredentials) get() (Credentials, time.Time, error) {
	if r == nil || r.AccessKeyID == nil || r.AccessKeySecret == nil || r.SecurityToken == nil || r.Expiration == nil {
		return Credentials{}, time.Time{}, errors.New("the answer holds no credentials")
	}
	expires, err := time.Parse(stsExpiration, *r.Expiration)
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("the answer's Expiration %q is not a time", *r.Expiration)
	}
	return Credentials{AccessKeyID: *r.AccessKeyID, AccessKeySecret: *r.AccessKeySecret, SecurityToken: *r.SecurityToken}, expires, nil
}

// imdsURL is the ECS instance metadata service.
const imdsURL = "http://100.100.100.200"

// ecsRoleSource returns credentials of the ECS instance RAM role named role,
// from the instance metadata service, refreshed before they expire. The
// metadata token (IMDSv2, "hardened mode") is asked for first; without one
// the plain request is made, unless ALIBABA_CLOUD_IMDSV1_DISABLED=true.
func ecsRoleSource(role string, getenv func(string) string) (CredentialsSource, error) {
	if strings.EqualFold(getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED"), "true") {
		return nil, &UsageError{
			Err:  fmt.Errorf("ECS RAM role %q: the metadata service is disabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)", role),
			Hint: "unset ALIBABA_CLOUD_ECS_METADATA_DISABLED, or give keys with --access-key-id/--access-key-secret or OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET",
		}
	}
	c, err := roleClient(time.Second, 2*time.Second)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("ECS RAM role %q: %w", role, err)}
	}
	e := &ecsRole{client: c, role: role, v1Disabled: strings.EqualFold(getenv("ALIBABA_CLOUD_IMDSV1_DISABLED"), "true")}
	return &refreshingSource{fetch: e.fetch, from: "ECS RAM role " + role}, nil
}

type ecsRole struct {
	client     *http.Client
	role       string
	v1Disabled bool
}

func (e *ecsRole) fetch() (Credentials, time.Time, error) {
	token, err := e.token()
	if err != nil {
		return Credentials{}, time.Time{}, err
	}
	a, err := e.get("/latest/meta-data/ram/security-credentials/"+url.PathEscape(e.role), token)
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("metadata service: %w", err)
	}
	if a.status != http.StatusOK {
		return Credentials{}, time.Time{}, fmt.Errorf("metadata service: %w", a.failure())
	}
	var doc struct {
		Code *string
		roleCredentials
	}
	if err := json.Unmarshal(a.body, &doc); err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("metadata service: the answer is not JSON: %w", err)
	}
	if doc.Code == nil || *doc.Code != "Success" {
		code := "none"
		if doc.Code != nil {
			code = strconv.Quote(*doc.Code)
		}
		return Credentials{}, time.Time{}, fmt.Errorf("metadata service: the answer's Code is %s, not \"Success\"", code)
	}
	c, expires, err := doc.get()
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("metadata service: %w", err)
	}
	return c, expires, nil
}

// token asks for a metadata token valid 6 hours. Without one (an older
// metadata service, or a failure) it returns "", which makes the requests
// plain IMDSv1 ones, or fails when IMDSv1 is disabled.
func (e *ecsRole) token() (string, error) {
	req, err := http.NewRequest(http.MethodPut, imdsURL+"/latest/api/token", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
	a, err := roleDo(e.client, req)
	if err == nil && a.status != http.StatusOK {
		err = a.failure()
	}
	if err != nil {
		if e.v1Disabled {
			return "", fmt.Errorf("metadata token (IMDSv1 is disabled): %w", err)
		}
		return "", nil
	}
	return string(a.body), nil
}

// get makes the GET with the metadata token, and once more without it if
// that fails and IMDSv1 is allowed.
func (e *ecsRole) get(path, token string) (roleAnswer, error) {
	a, err := e.getWith(path, token)
	if (err != nil || a.status != http.StatusOK) && token != "" && !e.v1Disabled {
		return e.getWith(path, "")
	}
	return a, err
}

func (e *ecsRole) getWith(path, token string) (roleAnswer, error) {
	req, err := http.NewRequest(http.MethodGet, imdsURL+path, nil)
	if err != nil {
		return roleAnswer{}, err
	}
	if token != "" {
		req.Header.Set("X-aliyun-ecs-metadata-token", token)
	}
	return roleDo(e.client, req)
}

// oidcSource returns credentials from AssumeRoleWithOIDC (ACK RRSA): the
// pod's token file is exchanged at STS for the role's credentials, again
// before they expire. stsRegion, when known, picks the regional STS
// endpoint; ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true its VPC twin.
// ALIBABA_CLOUD_OIDC_TOKEN, when set, is the token instead of the file's.
func oidcSource(roleARN, providerARN, tokenFile, stsRegion string, getenv func(string) string) (CredentialsSource, error) {
	o, err := newOIDCRole(roleARN, providerARN, tokenFile, stsRegion, getenv)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("OIDC role %s: %w", roleARN, err)}
	}
	return &refreshingSource{fetch: o.fetch, from: "OIDC role " + roleARN}, nil
}

func newOIDCRole(roleARN, providerARN, tokenFile, stsRegion string, getenv func(string) string) (*oidcRole, error) {
	c, err := roleClient(5*time.Second, 10*time.Second)
	if err != nil {
		return nil, err
	}
	host := "sts.aliyuncs.com"
	if stsRegion != "" {
		prefix := "sts"
		if strings.EqualFold(getenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"), "true") {
			prefix = "sts-vpc"
		}
		host = prefix + "." + stsRegion + ".aliyuncs.com"
	}
	o := &oidcRole{
		client: c, endpoint: "https://" + host + "/",
		roleARN: roleARN, providerARN: providerARN, tokenFile: tokenFile,
		session: "ossx-" + strconv.FormatInt(time.Now().Unix(), 10),
		getenv:  getenv,
	}
	return o, nil
}

type oidcRole struct {
	client                          *http.Client
	endpoint                        string
	roleARN, providerARN, tokenFile string
	session                         string
	getenv                          func(string) string
}

// fetch calls AssumeRoleWithOIDC
// (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerolewithoidc),
// an anonymous call: the OIDC token is the proof. The token file is read
// at every fetch, since the kubelet rotates it.
func (o *oidcRole) fetch() (Credentials, time.Time, error) {
	token := o.getenv("ALIBABA_CLOUD_OIDC_TOKEN")
	if token == "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return Credentials{}, time.Time{}, fmt.Errorf("read OIDC token: %w", err)
		}
		token = string(b)
	}
	q := url.Values{
		"Action":    {"AssumeRoleWithOIDC"},
		"Format":    {"JSON"},
		"Version":   {"2015-04-01"},
		"Timestamp": {time.Now().UTC().Format(stsExpiration)},
	}
	form := url.Values{
		"RoleArn":         {o.roleARN},
		"OIDCProviderArn": {o.providerARN},
		"OIDCToken":       {token},
		"RoleSessionName": {o.session},
		"DurationSeconds": {"3600"},
	}
	req, err := http.NewRequest(http.MethodPost, o.endpoint+"?"+q.Encode(), strings.NewReader(form.Encode()))
	if err != nil {
		return Credentials{}, time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Encoding", "identity")
	a, err := roleDo(o.client, req)
	if err == nil && a.status != http.StatusOK {
		err = a.failure()
	}
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("STS AssumeRoleWithOIDC: %w", err)
	}
	var doc struct{ Credentials *roleCredentials }
	if err := json.Unmarshal(a.body, &doc); err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("STS AssumeRoleWithOIDC: the answer is not JSON: %w", err)
	}
	c, expires, err := doc.Credentials.get()
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("STS AssumeRoleWithOIDC: %w", err)
	}
	return c, expires, nil
}
