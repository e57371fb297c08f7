package download

import (
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName is the longest file name (one path element) common file systems
// hold: 255 bytes on ext4, XFS, btrfs, APFS; NTFS counts 255 UTF-16 units.
const maxName = 255

// LocalName checks that rel, a key relative to the prefix being mirrored,
// can be a path inside the destination directory, and returns it cleaned of
// a trailing "/" (a key ending in "/" is a directory). A key that would
// climb out (".." elements, a leading "/"), hide a path element ("//" or
// "."), carry control characters or a name the OS cannot hold is refused:
// the error says why, and nothing is written for it.
func LocalName(rel string) (string, error) {
	name := strings.TrimSuffix(rel, "/")
	switch {
	case name == "":
		return "", fmt.Errorf("the key is the prefix itself")
	case !utf8.ValidString(name):
		return "", fmt.Errorf("not valid UTF-8")
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("it starts with /")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", fmt.Errorf("it holds a control character")
	}
	for _, el := range strings.Split(name, "/") {
		switch {
		case el == "":
			return "", fmt.Errorf("it holds an empty path element (//)")
		case el == "." || el == "..":
			return "", fmt.Errorf("it holds a %q path element", el)
		case len(el) > maxName:
			return "", fmt.Errorf("a path element is %d bytes long; file names hold at most %d", len(el), maxName)
		}
		if runtime.GOOS == "windows" {
			if err := windowsName(el); err != nil {
				return "", err
			}
		}
	}
	return name, nil
}

// windowsName refuses what Windows cannot hold in a file name: \ (a
// separator there), : (drive letters and streams), the other reserved
// characters, trailing dots and spaces, and device names.
func windowsName(el string) error {
	if i := strings.IndexAny(el, `\:*?"<>|`); i >= 0 {
		return fmt.Errorf("%q cannot be in a Windows file name", el[i:i+1])
	}
	if strings.HasSuffix(el, ".") || strings.HasSuffix(el, " ") {
		return fmt.Errorf("a Windows file name cannot end in a dot or a space")
	}
	base, _, _ := strings.Cut(strings.ToUpper(el), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return fmt.Errorf("%s is a device name on Windows", base)
	}
	return nil
}
