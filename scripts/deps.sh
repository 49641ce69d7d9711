#!/usr/bin/env bash
# Installs what the test suite needs and is missing: python3 with networkx
# and PIL (Debian's packages serve /usr/bin/python3), R with ape and
# jsonlite, busybox-static for docker test images. Debian/Ubuntu (apt-get).
set -euo pipefail

missing=()
command -v python3 >/dev/null || missing+=(python3)
/usr/bin/python3 -c 'import networkx' 2>/dev/null || missing+=(python3-networkx)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
command -v Rscript >/dev/null || missing+=(r-base-core)
Rscript -e 'library(ape)' >/dev/null 2>&1 || missing+=(r-cran-ape)
Rscript -e 'library(jsonlite)' >/dev/null 2>&1 || missing+=(r-cran-jsonlite)
[ -x /bin/busybox ] || command -v busybox >/dev/null || missing+=(busybox-static)

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: everything the tests need is installed"
  exit 0
fi
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null; then
  echo "deps: no apt-get here; install these yourself: ${missing[*]}" >&2
  exit 1
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
