#!/bin/sh
# install.sh: installs the ossx tools (ossuploader, gtail, ossls, ossget, ossrm, osslocal)
# from a release, verified against the release's checksums.txt. POSIX sh:
# runs under dash, bash and busybox sh (Alpine), with curl or wget.
#
#   curl -fsSL https://raw.githubusercontent.com/ossx/ossx/main/scripts/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --version v1.2.0 --tools ossuploader,gtail --dir /opt/bin
#   curl -fsSL .../install.sh | sh -s -- --multi-call     # one binary, ossx, linked as every tool
#
# Run with --help for the options. See docs/install.md.
set -eu

prog=install.sh
all_tools="ossuploader gtail ossls ossget ossrm osslocal"

usage() {
	cat <<EOF
usage: install.sh [--version vX.Y.Z] [--tools LIST] [--dir DIR] [--base-url URL] [--multi-call]

Downloads the ossx release archive for this OS and architecture, verifies its
SHA-256 against the release's checksums.txt and installs the chosen tools.

OPTIONS
   --version V     release to install, e.g. v1.2.0 (default \$OSSX_VERSION, or latest)
   --tools LIST    comma-separated tools to install (default \$OSSX_TOOLS, or all:
                   ${all_tools})
   --dir DIR       where to install (default \$OSSX_DIR, or /usr/local/bin as root,
                   ~/.local/bin otherwise)
   --base-url URL  release location (default \$OSSX_BASE_URL, or
                   https://github.com/ossx/ossx/releases). A mirror is a static
                   tree laid out like GitHub's:
                     URL/download/vX.Y.Z/checksums.txt and the archives
                     URL/latest/download/LATEST   (holds the newest tag, e.g. v1.2.0)
   --multi-call    install the multi-call binary ossx instead (every tool in one
                   download) and, in DIR, a symlink to it named for each of the
                   chosen tools; on windows ossx.exe alone, run as ossx TOOL
                   (default: on when \$OSSX_MULTICALL is 1)
   -h, --help      show this help

ENVIRONMENT
   OSSX_OS, OSSX_ARCH   override the detected platform (uname -s, uname -m)

EXIT STATUS
   0 installed; 1 download, verification or install failed; 2 usage error
EOF
}

say() { echo "$prog: $*" >&2; }
die() {
	echo "$prog: error: $1" >&2
	[ $# -lt 2 ] || echo "$prog: hint: $2" >&2
	exit 1
}
usage_die() {
	echo "$prog: error: $1" >&2
	echo "$prog: hint: run 'install.sh --help' for usage" >&2
	exit 2
}

version=${OSSX_VERSION:-latest}
tools=${OSSX_TOOLS:-}
dir=${OSSX_DIR:-}
base=${OSSX_BASE_URL:-https://github.com/ossx/ossx/releases}
multi=${OSSX_MULTICALL:-0}

# needarg OPTION COUNT: the option needs a value.
needarg() { [ "$2" -ge 2 ] || usage_die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--version) needarg "$1" $#; version=$2; shift 2 ;;
	--version=*) version=${1#*=}; shift ;;
	--tools) needarg "$1" $#; tools=$2; shift 2 ;;
	--tools=*) tools=${1#*=}; shift ;;
	--dir) needarg "$1" $#; dir=$2; shift 2 ;;
	--dir=*) dir=${1#*=}; shift ;;
	--base-url) needarg "$1" $#; base=$2; shift 2 ;;
	--base-url=*) base=${1#*=}; shift ;;
	--multi-call) multi=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_die "unknown argument: $1" ;;
	esac
done
base=${base%/}
[ -n "$base" ] || usage_die "empty --base-url"
[ -n "$version" ] || usage_die "empty --version"
case $multi in
0 | '') multi= ;;
1) ;;
*) usage_die "OSSX_MULTICALL=$multi: want 1 or 0" ;;
esac

# Tools: validate every name before touching the network.
chosen=$tools
[ -n "$tools" ] || tools=$all_tools
tools=$(echo "$tools" | tr ',' ' ')
for t in $tools; do
	case " $all_tools " in
	*" $t "*) ;;
	*) usage_die "unknown tool: $t (choose from: $all_tools)" ;;
	esac
done

# Platform, named as in the release archives (goreleaser's .Os and .Arch).
raw_os=${OSSX_OS:-$(uname -s)}
case $raw_os in
Linux | linux) os=linux ;;
Darwin | darwin) os=darwin ;;
MINGW* | MSYS* | CYGWIN* | Windows_NT | windows) os=windows ;;
*) die "unsupported operating system: $raw_os" "releases exist for linux, darwin and windows; elsewhere: go install github.com/ossx/ossx/cmd/...@latest" ;;
esac
raw_arch=${OSSX_ARCH:-$(uname -m)}
case $raw_arch in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64 | armv8*) arch=arm64 ;;
*) die "unsupported architecture: $raw_arch" "releases exist for amd64 and arm64; elsewhere: go install github.com/ossx/ossx/cmd/...@latest" ;;
esac
ext=tar.gz exe=
if [ "$os" = windows ] && [ -n "$multi" ]; then
	# No symlinks to make on Windows: ossx.exe TOOL runs each tool (and its
	# gtail refuses to start there, as gtail does).
	[ -z "$chosen" ] || die "--tools with --multi-call names the links to make, which windows lacks" "omit --tools: ossx.exe TOOL runs every tool"
	ext=zip exe=.exe tools=
elif [ "$os" = windows ]; then
	ext=zip exe=.exe
	# gtail needs inode numbers and flock; releases carry no Windows build.
	case " $tools " in
	*" gtail "*)
		[ -z "$chosen" ] || die "gtail is not built for windows" "it follows files by inode; run it on Linux or macOS"
		tools=$(echo " $tools " | sed 's/ gtail / /; s/^ //; s/ $//')
		;;
	esac
fi

if [ -z "$dir" ]; then
	if [ "$(id -u)" = 0 ]; then dir=/usr/local/bin; else dir=${HOME:?}/.local/bin; fi
fi

tmp=$(mktemp -d 2>/dev/null) || {
	tmp=${TMPDIR:-/tmp}/ossx-install.$$
	(umask 077 && mkdir "$tmp") || die "cannot create a temporary directory"
}
staging=
cleanup() {
	[ -z "$staging" ] || rm -f "$dir"/.*.install.$$
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if command -v curl >/dev/null 2>&1; then
	downloader=curl
elif command -v wget >/dev/null 2>&1; then
	downloader=wget
	# GNU wget -q hides why a download failed; busybox wget has no -nv.
	wget_quiet=-q
	if wget --version 2>/dev/null | grep -q 'GNU Wget'; then wget_quiet=-nv; fi
else
	die "neither curl nor wget found" "install one of them, or download the archive by hand (docs/install.md)"
fi

# fetch URL FILE: downloads URL into FILE. On failure returns non-zero with
# the HTTP status (or 000) in $status and a reason in $reason.
fetch() {
	status=000 reason=
	if [ "$downloader" = curl ]; then
		status=$(curl -sSL -o "$2" -w '%{http_code}' "$1" 2>"$tmp/fetch.err") || status=000
	else
		wget "$wget_quiet" -S -O "$2" "$1" 2>"$tmp/fetch.err" || true
		status=$(sed -n 's/.*HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$tmp/fetch.err" | tail -n 1)
		[ -n "$status" ] || status=000
	fi
	[ "$status" = 200 ] && return 0
	if [ "$status" = 000 ]; then
		reason=$(grep -v '^ *$' "$tmp/fetch.err" | tail -n 1)
		[ -n "$reason" ] || reason="network error"
	else
		reason="HTTP $status"
	fi
	return 1
}

# A "latest" version is resolved from the LATEST file (a release asset on
# GitHub, a plain file on a mirror), else from where $base/latest redirects
# (GitHub: .../releases/tag/vX.Y.Z).
if [ "$version" = latest ]; then
	if fetch "$base/latest/download/LATEST" "$tmp/LATEST"; then
		version=$(tr -d ' \t\r\n' <"$tmp/LATEST")
	elif [ "$downloader" = curl ]; then
		version=$(curl -sSLI -o /dev/null -w '%{url_effective}' "$base/latest" 2>/dev/null) || version=
		version=${version##*/}
	else
		version=$(wget -S --spider "$base/latest" 2>&1 | sed -n 's/^ *[Ll]ocation: *\([^ ]*\).*/\1/p' | tail -n 1 | tr -d '\r') || version=
		version=${version##*/}
	fi
	case $version in
	*[!A-Za-z0-9._+-]* | v) version= ;;
	v[0-9]*) ;;
	*) version= ;;
	esac
	[ -n "$version" ] || die "cannot find the latest version at $base" "give the version: install.sh --version vX.Y.Z"
fi
case $version in
*[!A-Za-z0-9._+-]*) usage_die "invalid version: $version (want vX.Y.Z)" ;;
v*) ;;
*) version=v$version ;;
esac

archive=ossx_${version#v}_${os}_${arch}.$ext
[ -z "$multi" ] || archive=ossx-multicall_${version#v}_${os}_${arch}.$ext
url=$base/download/$version
say "installing ossx $version ($os/$arch) from $url/"

if ! fetch "$url/checksums.txt" "$tmp/checksums.txt"; then
	if [ "$status" = 404 ]; then
		die "version $version not found: $url/checksums.txt: $reason" "see the releases at $base, or give --base-url of your mirror"
	fi
	die "cannot download $url/checksums.txt: $reason"
fi
want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")
[ -n "$want" ] || die "no $os/$arch build in version $version: checksums.txt lists no $archive"
fetch "$url/$archive" "$tmp/$archive" || die "cannot download $url/$archive: $reason"

if command -v sha256sum >/dev/null 2>&1; then
	got=$(sha256sum "$tmp/$archive" | awk '{ print $1 }')
elif command -v shasum >/dev/null 2>&1; then
	got=$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')
elif command -v openssl >/dev/null 2>&1; then
	got=$(openssl dgst -sha256 "$tmp/$archive" | sed 's/^.*= *//')
else
	die "no SHA-256 tool found (sha256sum, shasum or openssl)" "install coreutils or openssl; the download cannot be verified without one"
fi
[ "$got" = "$want" ] || die "checksum mismatch for $archive: checksums.txt says $want, the download is $got" "the download is corrupt or the mirror was tampered with; nothing was installed"

mkdir "$tmp/x"
if [ "$ext" = zip ]; then
	command -v unzip >/dev/null 2>&1 || die "unzip not found" "install unzip to unpack $archive"
	unzip -q "$tmp/$archive" -d "$tmp/x" || die "cannot unpack $archive"
else
	tar -xzf "$tmp/$archive" -C "$tmp/x" || die "cannot unpack $archive"
fi
# bins: the files to install; links: the tools that become symlinks to ossx.
bins=$tools links=
if [ -n "$multi" ]; then
	bins=ossx links=$tools
fi
for t in $bins; do
	[ -f "$tmp/x/$t$exe" ] || die "$archive has no $t$exe"
done

# Stage every tool (and link) next to its destination, then rename each
# into place: a failure before the renames leaves the directory as it was,
# and a rename never leaves a half-written binary. Links are relative
# ("gtail -> ossx") and renamed in after ossx, so none ever dangles; each
# replaces whatever held its name, a single-tool binary included.
mkdir -p "$dir" 2>/dev/null || die "cannot create $dir" "run as root, or choose another directory with --dir"
for t in $bins; do
	dst=$dir/.$t$exe.install.$$
	staging=1
	cp "$tmp/x/$t$exe" "$dst" 2>/dev/null && chmod 755 "$dst" ||
		die "cannot write to $dir" "run as root, or choose another directory with --dir"
done
for t in $links; do
	ln -s ossx "$dir/.$t.install.$$" 2>/dev/null || die "cannot make the link $dir/$t -> ossx"
done
for t in $bins $links; do
	mv -f "$dir/.$t$exe.install.$$" "$dir/$t$exe" || die "cannot install $dir/$t$exe"
	echo "$dir/$t$exe"
done
staging=
if [ -n "$multi" ]; then
	say "installed ossx $version into $dir$([ -z "$links" ] || echo ", linked as $(echo $links)")"
	[ -n "$links" ] || say "run the tools as ossx$exe TOOL"
else
	say "installed $(echo $tools) $version into $dir"
fi
case ":${PATH:-}:" in
*":$dir:"*) ;;
*) say "hint: $dir is not in your PATH; add it: export PATH=\"$dir:\$PATH\"" ;;
esac
