// deploy/: the hardened systemd unit passes `systemd-analyze verify`, and the container
// recipe's install steps, run into a scratch root, give a working apop-server.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appDir, builtServer } from "./helpers/built-server.ts";

const repo = path.resolve(appDir, "../..");
const unitFile = path.join(repo, "deploy/systemd/apop-server.service");
const scratch = mkdtempSync(path.join(tmpdir(), "apop-deploy-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `systemd-analyze verify` on the unit text; its complaints (empty when clean). */
function verify(unit: string, name: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, unit);
  const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  if (result.error !== undefined) throw result.error;
  return (
    `${result.stdout}${result.stderr}`.trim() +
    (result.status === 0 ? "" : `\nexit ${result.status}`)
  );
}

describe("deploy/", () => {
  it("has a hardened systemd unit that systemd-analyze verify finds clean", () => {
    const unit = readFileSync(unitFile, "utf8");
    for (const line of [
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/srv/mail",
      "ExecReload=/bin/kill -HUP $MAINPID",
    ]) {
      expect(unit).toContain(line);
    }
    // verify insists the program exists: point ExecStart at the built one, change nothing else.
    const here = unit.replace(
      /^ExecStart=\/usr\/bin\/apop-server /m,
      `ExecStart=${process.execPath} ${builtServer()} `,
    );
    expect(verify(here, "apop-server.service")).toBe("");
    // The check can fail: a misspelt directive is reported.
    expect(verify(here.replace("ProtectHome=yes", "ProtectHomes=yes"), "typo.service")).toMatch(
      /Unknown key 'ProtectHomes'/,
    );
  });

  it("installs from the container recipe into a scratch root and runs the demo", () => {
    const output = execFileSync("sh", [path.join(repo, "deploy/container/try-recipe.sh")], {
      encoding: "utf8",
      env: { ...process.env, TMPDIR: scratch },
      timeout: 300_000,
    });
    expect(output).toMatch(/recipe ok\s*$/);
  }, 320_000);
});
