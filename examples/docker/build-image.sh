#!/usr/bin/env bash
# Builds the image the docker example runs, without a registry: a root
# file system holding Debian's static busybox, imported as
# truss-example/busybox:latest. Needs busybox-static (apt-get install
# busybox-static) and a running Docker engine.
set -euo pipefail
bb=/bin/busybox
[ -x "$bb" ] || bb=$(command -v busybox)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for tool in sh cat tr wc sed head tail ls echo true sort cut awk grep; do
  ln -s busybox "$root/bin/$tool"
done
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - truss-example/busybox:latest >/dev/null
echo "built truss-example/busybox:latest"
