#!/bin/sh
# The container recipe's install steps, into ROOT (/ in the image, a scratch folder in
# try-recipe.sh): the packed packages under ROOT/usr/local with their npm dependencies, the
# `apop` account (only when ROOT is /), the config folder and the mail root.
set -eu
root=${1:?usage: install.sh ROOT PACKS}
packs=${2:?usage: install.sh ROOT PACKS}
mkdir -p "$root/usr/local" "$root/etc/apop" "$root/srv/mail"
# --install-links: the @apop/* tarballs are installed as copies, not links to PACKS.
npm install --global --prefix "$root/usr/local" --omit=dev --no-audit --no-fund --install-links \
  "$packs"/apop-core-*.tgz "$packs"/apop-maildir-*.tgz "$packs"/apop-node-*.tgz \
  "$packs"/apop-websocket-*.tgz "$packs"/apop-server-*.tgz
if [ "$root" = / ]; then
  id apop >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin apop
  chown apop:apop /srv/mail
fi
chmod 0700 "$root/srv/mail"
test -f "$root/etc/apop/server.json" || cat > "$root/etc/apop/server.json" <<'JSON'
{
  "listen": ["*:110"],
  "users": "/etc/apop/users",
  "maildirRoot": "/srv/mail",
  "adminListen": "9110"
}
JSON
"$root/usr/local/bin/apop-server" --version
