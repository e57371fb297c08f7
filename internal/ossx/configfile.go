package ossx

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileProfile is what one profile of an ossutil config file says.
type fileProfile struct {
	Path, Name string // where it came from, for messages

	AccessKeyID, AccessKeySecret, SecurityToken string
	Region, Endpoint                            string

	// Role-based credentials (ossutil's mode=EcsRamRole / OIDC settings).
	Mode, ECSRoleName                       string
	RoleARN, OIDCProviderARN, OIDCTokenFile string
}

// profileField is the field of p that the normalised key name (see normKey)
// sets, or nil. A switch, not a map literal, which package init would
// build in every run.
//
// ossutil 1.7 writes a [Credentials] section with endpoint, accessKeyID,
// accessKeySecret and stsToken, and accepts the aliases listed in its
// CredOptionMap (github.com/aliyun/ossutil lib/config_helper.go: "host",
// "access_id", "accessid", "access_key", "accesskey", "ststoken", "sts_token")
// plus --mode / --ecs-role-name (lib/option.go).
//
// ossutil 2.x writes [default] or [profile NAME] sections whose key names are
// case-insensitive and may be camelCase, kebab-case or snake_case
// ("accesskeyid, accessKeyId, access-key-id, access_key_id" are one key), and
// supports source_profile. Source: "Configure ossutil",
// https://www.alibabacloud.com/help/en/oss/developer-reference/configure-ossutil2
func profileField(p *fileProfile, key string) *string {
	switch key {
	case "accesskeyid", "accessid":
		return &p.AccessKeyID
	case "accesskeysecret", "accesskey":
		return &p.AccessKeySecret
	case "securitytoken", "ststoken", "sessiontoken":
		return &p.SecurityToken
	case "region":
		return &p.Region
	case "endpoint", "host":
		return &p.Endpoint
	case "mode":
		return &p.Mode
	case "ecsrolename":
		return &p.ECSRoleName
	case "rolearn", "ramrolearn":
		return &p.RoleARN
	case "oidcproviderarn":
		return &p.OIDCProviderARN
	case "oidctokenfile", "oidctokenfilepath":
		return &p.OIDCTokenFile
	}
	return nil
}

// normKey folds the spellings ossutil accepts for one key into one.
func normKey(k string) string {
	k = strings.ToLower(k)
	k = strings.ReplaceAll(k, "-", "")
	return strings.ReplaceAll(k, "_", "")
}

// iniFile is a parsed INI file: section name (lower case) → key (normalised)
// → value. It is small enough not to need a library, and ossutil's key
// folding needs custom handling anyway.
type iniFile map[string]map[string]string

func parseINI(path string, data []byte) (iniFile, error) {
	f := iniFile{}
	var cur map[string]string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: unterminated section header", path, n)
			}
			name := strings.ToLower(strings.Join(strings.Fields(line[1:len(line)-1]), " "))
			if f[name] == nil {
				f[name] = map[string]string{}
			}
			cur = f[name]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				// Never echo the line: it may hold a secret.
				return nil, fmt.Errorf("%s:%d: expected key = value", path, n)
			}
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: setting outside any [section]", path, n)
			}
			cur[normKey(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return f, sc.Err()
}

// configFilePath picks the ossutil config file: --config, then
// OSS_CONFIG_FILE (ossutil 2.x), then ~/.ossutilconfig. explicit reports
// whether the user named it, which makes a missing file an error.
func configFilePath(opts Options, getenv func(string) string) (path string, explicit bool) {
	if p := first(opts.ConfigFile, getenv("OSS_CONFIG_FILE")); p != "" {
		return expandHome(p, getenv), true
	}
	// Through getenv, not os.UserHomeDir, so tests that pass a map never
	// read the real file (USERPROFILE is Windows' HOME).
	home := first(getenv("HOME"), getenv("USERPROFILE"))
	if home == "" {
		return "", false
	}
	return filepath.Join(home, ".ossutilconfig"), false
}

func expandHome(p string, getenv func(string) string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home := getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// loadProfile reads profile name (empty: the default one) from the ossutil
// config file at path. It returns nil, nil when the file does not exist, or
// may not be read, and was not asked for by name. Every secret found is registered.
func loadProfile(path string, explicit bool, name string) (*fileProfile, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	// The default file is optional. One this user may not read is absent
	// too: a service run as another user with HOME still pointing at
	// root's 0700 home cannot even look for it.
	if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) && !explicit && name == "" {
		return nil, nil
	}
	if err != nil {
		return nil, &UsageError{
			Err:  fmt.Errorf("read config file: %w", err),
			Hint: "pass --config FILE or set OSS_CONFIG_FILE to a readable ossutil config file",
		}
	}
	f, err := parseINI(path, data)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("config file %w", err)}
	}
	// Register every value that looks secret before anything can fail and
	// print, whichever profile it sits in.
	for _, sec := range f {
		for k, v := range sec {
			switch k {
			case "accesskeysecret", "accesskey", "securitytoken", "ststoken", "sessiontoken":
				RegisterSecret(v)
			}
		}
	}
	var sections []string
	if name == "" || name == "default" {
		// 2.x: [default] is short for [profile default]; 1.7: [Credentials].
		sections = []string{"default", "profile default", "credentials"}
	} else {
		sections = []string{"profile " + strings.ToLower(name)}
	}
	for _, s := range sections {
		if sec, ok := f[s]; ok {
			return resolveProfile(f, path, s, sec)
		}
	}
	if name == "" {
		return nil, nil
	}
	return nil, &UsageError{
		Err:  fmt.Errorf("profile %q not found in %s", name, path),
		Hint: fmt.Sprintf("add a [profile %s] section, or pick another with --profile / OSS_PROFILE", name),
	}
}

// resolveProfile fills a profile from its section and, for keys it lacks,
// from the chain of source_profile sections it names.
func resolveProfile(f iniFile, path, section string, sec map[string]string) (*fileProfile, error) {
	p := &fileProfile{Path: path, Name: strings.TrimPrefix(section, "profile ")}
	seen := map[string]bool{}
	for sec != nil {
		seen[section] = true
		for k, v := range sec {
			if field := profileField(p, k); field != nil && *field == "" {
				*field = v
			}
		}
		src := sec["sourceprofile"]
		if src == "" {
			break
		}
		section = "profile " + strings.ToLower(src)
		if src == "default" {
			section = "default"
		}
		if seen[section] {
			return nil, &UsageError{Err: fmt.Errorf("config file %s: source_profile loop at %q", path, src)}
		}
		var ok bool
		if sec, ok = f[section]; !ok {
			return nil, &UsageError{Err: fmt.Errorf("config file %s: source_profile %q not found", path, src)}
		}
	}
	return p, nil
}
