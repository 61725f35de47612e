#!/usr/bin/env bash
# Installs Debian's chromium, which the web-bind tests (TestWebBind) drive headless, when it is
# missing: the one tool no Go module proxy serves. make tools (and so make test) calls it, so that a
# fresh Debian machine sets itself up, as the end-to-end tests need root anyway (network namespaces).
# As root it runs apt-get; otherwise it uses sudo only when sudo needs no password. Else it says on
# stderr what to run and exits 0: the web-bind tests then skip with the same line (with CI=true they
# fail). Without recommended packages: the tests run chromium headless without its sandbox, and its
# dependencies bring a font (fontconfig-config needs fonts-dejavu-core) so pages render text.
set -euo pipefail
if command -v chromium >/dev/null; then
  command -v chromium
  exit 0
fi
sudo=
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=sudo; else
    echo "chromium.sh: no chromium on the PATH and not root: run  sudo apt-get update && sudo apt-get install -y chromium  (else TestWebBind skips)" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "chromium.sh: no chromium on the PATH and no apt-get: install chromium with your package manager (else TestWebBind skips)" >&2
  exit 0
fi
start=$(date +%s)
echo "chromium.sh: installing Debian's chromium for the web-bind tests (${sudo:-as root} apt-get)" >&2
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium.sh: $(chromium --version 2>/dev/null) installed in $(( $(date +%s) - start ))s" >&2
command -v chromium
