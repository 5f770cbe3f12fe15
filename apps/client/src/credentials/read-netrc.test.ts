import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findNetrcEntry } from "./read-netrc.ts";

const dir = mkdtempSync(join(tmpdir(), "apop-netrc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lookup(content: string, host: string, user?: string, mode = 0o600) {
  const path = join(dir, `netrc-${Math.random()}`);
  writeFileSync(path, content, { mode });
  const warnings: string[] = [];
  const entry = await findNetrcEntry({ path, host, user, onWarning: (w) => warnings.push(w) });
  return { entry, warnings };
}

const FILE = `# mail
machine pop.example.org login alice password "a b\\"c"
machine POP.example.org login bob password bobpw
macdef init
machine evil login x password y

machine other.example password other
default login anon password anonpw
`;

describe("findNetrcEntry", () => {
  it("finds the machine's entry for the user, with quoted passwords", async () => {
    expect((await lookup(FILE, "pop.example.org", "alice")).entry).toEqual({
      login: "alice",
      password: 'a b"c',
    });
    expect((await lookup(FILE, "pop.example.org", "bob")).entry).toEqual({
      login: "bob",
      password: "bobpw",
    });
  });

  it("takes the first entry for the machine when no user is known yet", async () => {
    expect((await lookup(FILE, "Pop.Example.Org")).entry).toEqual({
      login: "alice",
      password: 'a b"c',
    });
  });

  it("skips macdef bodies, and falls back to default", async () => {
    expect((await lookup(FILE, "evil")).entry).toEqual({ login: "anon", password: "anonpw" });
    expect((await lookup(FILE, "other.example", "carol")).entry).toEqual({ password: "other" });
    expect((await lookup(FILE, "pop.example.org", "carol")).entry).toBeNull();
  });

  it("warns when others can read a file with passwords, and a missing file is no entry", async () => {
    expect((await lookup(FILE, "pop.example.org", "alice", 0o644)).warnings[0]).toContain(
      "chmod 600",
    );
    expect(
      await findNetrcEntry({
        path: join(dir, "missing"),
        host: "h",
        user: undefined,
        onWarning: () => {},
      }),
    ).toBeNull();
  });
});
