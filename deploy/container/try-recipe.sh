#!/bin/sh
# Exercises the container recipe without a container engine: packs the packages, runs
# install.sh into a scratch root, then starts the installed apop-server's demo on a free
# loopback port and checks that it greets and logs in. Prints "recipe ok" on success.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/apop-recipe-XXXXXX")
trap 'kill "$server" 2>/dev/null || true; rm -rf "$scratch"' EXIT
"$here/pack.sh" "$scratch/packs" >/dev/null
"$here/install.sh" "$scratch/root" "$scratch/packs"
"$scratch/root/usr/local/bin/apop-server" --demo --data-dir "$scratch/demo" --listen 127.0.0.1:0 \
  --web 127.0.0.1:0 \
  >"$scratch/log" 2>"$scratch/banner" &
server=$!
for _ in $(seq 1 600); do
  grep -q '"event":"started"' "$scratch/log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$scratch/banner" >&2; exit 1; }
  sleep 0.1
done
port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$scratch/log" | head -1)
test -n "$port" || { echo "no listening port in the log" >&2; cat "$scratch/log" >&2; exit 1; }
node --input-type=module -e '
  import net from "node:net";
  const socket = net.connect({ host: "127.0.0.1", port: Number(process.argv[1]) });
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk;
    if (/^\+OK.*\r\n\+OK.*\r\n/s.test(text)) { socket.end(); process.exit(0); }
  });
  socket.once("data", () => socket.write("QUIT\r\n"));
  socket.on("close", () => { console.error(text); process.exit(1); });
' "$port"
echo "recipe ok"
