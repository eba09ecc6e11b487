#!/usr/bin/env bash
# Installs code-server (VS Code 1.100.3 served to a browser) for Stitch's end-to-end tests, using only the
# npm registry and Debian's apt repositories. Idempotent: on a good install it only checks it (< 1 s).
#
#   bash scripts/e2e/install-code-server.sh [DIR]    # DIR: $CODE_SERVER_DIR or ~/.cache/code-server-e2e
#
# Env: CODE_SERVER_VERSION (4.100.3: the newest release that runs on Node 20), SKIP_APT=1 (packages baked in).
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
DIR="${1:-${CODE_SERVER_DIR:-$HOME/.cache/code-server-e2e}}"
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
BIN="$DIR/node_modules/.bin/code-server"
VSMODS="$DIR/node_modules/code-server/lib/vscode/node_modules"
say() { echo "[install-code-server] $*"; }
# code-server writes ~/.config and ~/.local/share even for --version: keep those inside $DIR.
run_cs() { XDG_CONFIG_HOME="$DIR/.xdg/config" XDG_DATA_HOME="$DIR/.xdg/data" XDG_CACHE_HOME="$DIR/.xdg/cache" "$BIN" "$@"; }

# 1. Debian packages, only those missing. The compilers and libkrb5-dev build code-server's native modules
#    (no prebuilt downloads from GitHub here); ripgrep stands in for the binary @vscode/ripgrep would download.
if [ "${SKIP_APT:-0}" != 1 ]; then
  missing=()
  for pkg in build-essential python3 pkg-config libkrb5-dev ripgrep chromium fonts-liberation; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

# 2. Reuse a good install.
if [ -x "$BIN" ] && [ -x "$VSMODS/@vscode/ripgrep/bin/rg" ] && run_cs --version 2>/dev/null | grep -q "^$VERSION "; then
  say "code-server $VERSION already installed: $BIN"
  exit 0
fi
rm -rf "$DIR/node_modules" "$DIR/package-lock.json"

# 3. @vscode/ripgrep's postinstall looks for $TMPDIR/vscode-ripgrep-cache-<version>/ripgrep-<tag>-<target>.tar.gz
#    before asking GitHub. Fill that cache with Debian's rg; the version and tag are read from the packages.
export TMPDIR="$DIR/.tmp"
rm -rf "$TMPDIR"; mkdir -p "$TMPDIR/rg"
( cd "$TMPDIR" && npm pack -q "code-server@$VERSION" >/dev/null )
RG_VERSION="${RG_PKG_VERSION:-$(tar xzf "$TMPDIR/code-server-$VERSION.tgz" -O package/lib/vscode/npm-shrinkwrap.json \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).packages["node_modules/@vscode/ripgrep"]||{}).version||""))')}"
[ -n "$RG_VERSION" ] || { echo "cannot find @vscode/ripgrep in code-server $VERSION; set RG_PKG_VERSION and RG_TAG" >&2; exit 1; }
( cd "$TMPDIR" && npm pack -q "@vscode/ripgrep@$RG_VERSION" >/dev/null )
RG_TAG="${RG_TAG:-$(tar xzf "$TMPDIR/vscode-ripgrep-$RG_VERSION.tgz" -O package/lib/postinstall.js | sed -n "s/^const VERSION = '\(.*\)';.*/\1/p")}"
[ -n "$RG_TAG" ] || { echo "cannot read the ripgrep tag of @vscode/ripgrep $RG_VERSION; set RG_TAG" >&2; exit 1; }
case "$(uname -m)" in
  x86_64) TARGET=x86_64-unknown-linux-musl ;;
  aarch64) TARGET=aarch64-unknown-linux-musl ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p "$TMPDIR/vscode-ripgrep-cache-$RG_VERSION"
cp "$(command -v rg)" "$TMPDIR/rg/rg"
tar czf "$TMPDIR/vscode-ripgrep-cache-$RG_VERSION/ripgrep-$RG_TAG-$TARGET.tar.gz" -C "$TMPDIR/rg" rg

# 4. npm install. unsafe_perm: the postinstall refuses root without it; yes: node-pty runs `npx node-gyp`;
#    nodedir: the Node headers next to node instead of a download from nodejs.org.
export npm_config_unsafe_perm=true npm_config_yes=true
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [ -f "$prefix/include/node/node.h" ] && export npm_config_nodedir="$prefix"
fi
[ -f "$DIR/package.json" ] || echo '{ "name": "stitch-code-server-e2e", "private": true }' > "$DIR/package.json"
say "npm install code-server@$VERSION into $DIR (compiles native modules, ~40 s)"
( cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" ) > "$DIR/install.log" 2>&1 \
  || { tail -30 "$DIR/install.log"; echo "npm install failed; full log: $DIR/install.log" >&2; exit 1; }
rm -rf "$TMPDIR"

# 5. Check the pieces that fail silently.
for f in @vscode/ripgrep/bin/rg kerberos/build/Release/kerberos.node node-pty/build/Release/pty.node @vscode/spdlog/build/Release/spdlog.node; do
  [ -e "$VSMODS/$f" ] || { echo "missing $VSMODS/$f (see $DIR/install.log)" >&2; exit 1; }
done
say "installed code-server $(run_cs --version | grep -E "^[0-9]+\.[0-9]+\.[0-9]+ ")"
