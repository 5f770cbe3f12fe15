#!/bin/sh
# Packs the five packages apop-server needs (built: run `npm run build` first) into DIR.
set -eu
dir=${1:?usage: pack.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$(dirname "$0")/../.."
for workspace in @apop/core @apop/maildir @apop/node @apop/websocket @apop/server; do
  npm pack --silent --workspace "$workspace" --pack-destination "$dir" >/dev/null
done
ls "$dir"
