#!/usr/bin/env bash
# Starts Trino in the foreground with the configuration in /etc/trino, as the official image's
# run-trino does: the node id is the host name unless node.properties sets one.
set -euo pipefail
launcher_opts=(--etc-dir /etc/trino)
if ! grep -s -q '^node.id' /etc/trino/node.properties; then
  launcher_opts+=("-Dnode.id=${HOSTNAME}")
fi
exec /usr/lib/trino/bin/launcher run "${launcher_opts[@]}" "$@"
