#!/usr/bin/env bash
# After the test suite: no container that truss created (label
# truss.managed) or a test created (label truss.test) may be left, running
# or not.
set -euo pipefail
command -v docker >/dev/null || exit 0
docker version >/dev/null 2>&1 || exit 0
status=0
for label in truss.managed truss.test; do
  if [ -n "$(docker ps -a -q --filter "label=$label")" ]; then
    echo "containers labelled $label left behind by the tests:" >&2
    docker ps -a --filter "label=$label" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "docker: no containers left behind"
exit $status
