#!/usr/bin/env bash
# Installs what the interop and browser tests need, from Debian's packages. Idempotent; needs
# root (CI and the development machines run as root). Services are not started: the tests
# start their own peers with their own configuration on loopback ports.
set -euo pipefail

packages=(dovecot-pop3d dovecot-core fetchmail getmail6 python3 curl openssl chromium haproxy postgresql gsasl systemd)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all test peers are installed (${packages[*]})"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: needs root to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
# Keep package scripts from starting the system's own Dovecot: the tests never use it.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
echo "setup: done"
