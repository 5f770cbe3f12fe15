// Runs before `npm test`: the interop and browser tests need peers from Debian's packages.
// Without them the test run fails at once with one line, instead of minutes later.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const commands = [
  "dovecot",
  "fetchmail",
  "getmail",
  "python3",
  "curl",
  "openssl",
  "haproxy",
  "gsasl",
  "systemd-analyze",
];
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const onPath = (command) =>
  (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => dir !== "" && executable(join(dir, command)));
// Dovecot installs its binary under /usr/sbin, which a non-root PATH may lack.
const found = (command) => onPath(command) || executable(join("/usr/sbin", command));

const missing = commands.filter((command) => !found(command));
if (!executable(chromium)) missing.push("chromium");
// Debian keeps PostgreSQL's server binaries off PATH, under a versioned folder.
if (!executable("/usr/lib/postgresql/15/bin/postgres")) missing.push("postgresql");

if (missing.length > 0) {
  console.error(
    `apop: test peers missing (${missing.join(", ")}): run \`npm run setup\` first (as root; installs them from Debian)`,
  );
  process.exit(1);
}
