import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cleanEnv } from "../src/clean-env.ts";
import { type LocalRegistry, startLocalRegistry } from "../src/local-registry.ts";
import { run } from "../src/run.ts";
import {
  conditions,
  entryPoints,
  hasTypes,
  type Manifest,
  REPO_ROOT,
  readManifest,
  specifier,
} from "../src/workspaces.ts";

// The whole path of a user: publish the tarballs to a throwaway registry on loopback,
// install from it into a project outside the repository, use every entry point, run both
// programs from it. Nothing here reads the workspace's node_modules.
const packed = inject("packed");
const manifests = new Map(packed.map((p) => [p.name, readManifest(p.dir)]));
const libraries = packed.filter((p) => entryPoints(manifests.get(p.name) as Manifest).length > 0);
const typesNode = readManifest(".").devDependencies?.["@types/node"] ?? "";
const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");

let dir = "";
let registry: LocalRegistry;
let scratch = "";

/** npm against the local registry only, with its own cache, outside the repository. */
function npm(args: string[], cwd: string, env: Record<string, string> = {}) {
  return run({
    command: "npm",
    args: [...args, "--userconfig", registry.userconfig, "--cache", join(dir, "npm-cache")],
    cwd,
    env: cleanEnv(env),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "apop-release-"));
  expect(relative(REPO_ROOT, dir).startsWith("..")).toBe(true);
  registry = await startLocalRegistry({ dir });
  for (const p of packed) await npm(["publish", p.tarball, "--access", "public"], dir);

  scratch = join(dir, "scratch");
  mkdirSync(scratch);
  writeFileSync(
    join(scratch, "package.json"),
    `${JSON.stringify({ name: "scratch", private: true, type: "module" }, null, 2)}\n`,
  );
  await npm(["install", ...libraries.map((p) => p.name), `@types/node@${typesNode}`], scratch);
});

afterAll(async () => {
  await registry?.stop();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe.each(packed.map((p) => [p.name, p] as const))("%s", (_, p) => {
  it("is published: the registry serves this version", async () => {
    const { stdout } = await npm(["view", p.name, "version"], dir);
    expect(stdout.trim()).toBe(p.version);
  });
});

const entries = libraries.flatMap((p) => {
  const manifest = manifests.get(p.name) as Manifest;
  return entryPoints(manifest).map((entry) => ({
    spec: specifier(manifest, entry),
    require: conditions(manifest, entry).includes("require"),
    types: hasTypes(manifest, entry),
  }));
});

/** Runs `source` with Node in the scratch project and returns the number it prints. */
async function countExports(type: "module" | "commonjs", source: string): Promise<number> {
  const { stdout } = await run({
    command: process.execPath,
    args: [`--input-type=${type}`, "-e", source],
    cwd: scratch,
    env: cleanEnv(),
  });
  return Number(stdout.trim());
}

describe.each(entries.map((e) => [e.spec] as const))("%s", (spec) => {
  it("imports from ESM and exports something", async () => {
    const source = `const m = await import(${JSON.stringify(spec)}); console.log(Object.keys(m).length);`;
    expect(await countExports("module", source)).toBeGreaterThan(0);
  });
});

// Only entries with a `require` condition promise CommonJS; the others are ESM-only.
describe.each(entries.filter((e) => e.require).map((e) => [e.spec] as const))("%s", (spec) => {
  it("requires from CommonJS and exports something", async () => {
    const source = `console.log(Object.keys(require(${JSON.stringify(spec)})).length);`;
    expect(await countExports("commonjs", source)).toBeGreaterThan(0);
  });
});

describe("a user's TypeScript project, skipLibCheck off", () => {
  const typed = () => entries.filter((e) => e.types);
  const esmUsage = () =>
    [
      readFileSync(join(import.meta.dirname, "../fixtures/usage-snippet.ts"), "utf8"),
      ...typed().map((e, i) => `import * as entry${i} from ${JSON.stringify(e.spec)};`),
      `export const entries = [${typed()
        .map((_, i) => `entry${i}`)
        .join(", ")}];`,
      "",
    ].join("\n");
  const compilerOptions = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: "ES2022",
    lib: ["ES2022", "DOM"],
    types: ["node"],
  };

  it("type-checks under node16 resolution, as ESM and as CommonJS", async () => {
    writeFileSync(join(scratch, "usage.mts"), esmUsage());
    const cjs = typed().filter((e) => e.require);
    writeFileSync(
      join(scratch, "usage.cts"),
      [
        ...cjs.map((e, i) => `import entry${i} = require(${JSON.stringify(e.spec)});`),
        `export const entries = [${cjs.map((_, i) => `entry${i}`).join(", ")}];`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(scratch, "tsconfig.node16.json"),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, module: "node16", moduleResolution: "node16" },
        files: ["usage.mts", "usage.cts"],
      }),
    );
    await run({
      command: process.execPath,
      args: [tsc, "-p", "tsconfig.node16.json"],
      cwd: scratch,
    });
  });

  it("type-checks under bundler resolution", async () => {
    writeFileSync(join(scratch, "usage-bundler.ts"), esmUsage());
    writeFileSync(
      join(scratch, "tsconfig.bundler.json"),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, module: "preserve", moduleResolution: "bundler" },
        files: ["usage-bundler.ts"],
      }),
    );
    await run({
      command: process.execPath,
      args: [tsc, "-p", "tsconfig.bundler.json"],
      cwd: scratch,
    });
  });

  it("fails on a type error in the usage (the check can fail)", async () => {
    writeFileSync(
      join(scratch, "broken.mts"),
      `import { MemoryStore } from "@apop/core";\nexport const store: number = new MemoryStore({ mailboxes: {} });\n`,
    );
    writeFileSync(
      join(scratch, "tsconfig.broken.json"),
      // Core alone (no Node types, no DOM): the smallest program that still reads a
      // published .d.ts, so this costs little.
      JSON.stringify({
        compilerOptions: {
          ...compilerOptions,
          lib: ["ES2022"],
          types: [],
          module: "node16",
          moduleResolution: "node16",
        },
        files: ["broken.mts"],
      }),
    );
    const result = await run({
      command: process.execPath,
      args: [tsc, "-p", "tsconfig.broken.json"],
      cwd: scratch,
      allowFailure: true,
    });
    expect(result.stdout).toContain("TS2322");
  });
});

describe("the programs, installed from the registry", () => {
  let server: ChildProcess | undefined;
  let authority = "";
  const state = () => join(dir, "state");
  const demoCwd = () => join(dir, "demo-cwd");
  const prefix = () => join(dir, "global");

  beforeAll(async () => {
    mkdirSync(demoCwd(), { recursive: true });
    const child = spawn(
      "npx",
      [
        "--yes",
        "--userconfig",
        registry.userconfig,
        "--cache",
        join(dir, "npm-cache"),
        "@apop/server",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        // The demo's webmail page defaults to port 8110: any free one, as other tests run.
        "--web",
        "127.0.0.1:0",
      ],
      {
        cwd: demoCwd(),
        env: cleanEnv({ XDG_STATE_HOME: state() }),
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: npx runs apop-server as a child, which a signal to npx
        // alone would leave running after the tests.
        detached: true,
      },
    );
    server = child;
    let stderr = "";
    authority = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stderr as NonNullable<ChildProcess["stderr"]> });
      lines.on("line", (line) => {
        stderr += `${line}\n`;
        const match = /POP3 on (127\.0\.0\.1:\d+)/.exec(line);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on("exit", (code) => reject(new Error(`npx @apop/server exited ${code}\n${stderr}`)));
    });
    await npm(["install", "--global", "--prefix", prefix(), "@apop/cli", "@apop/server"], dir);
  });

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once("exit", resolve));
      process.kill(-(server.pid as number), "SIGTERM");
      await exited;
    }
  });

  it("`npx @apop/server --demo` keeps its data in the XDG state folder, not the current one", () => {
    expect(readdirSync(demoCwd())).toEqual([]);
    expect(existsSync(join(state(), "apop-server", "demo", "users"))).toBe(true);
  });

  it("`apop` from `npm i -g @apop/cli` fetches the demo's mail", async () => {
    const maildir = join(dir, "Maildir");
    await run({
      command: join(prefix(), "bin", "apop"),
      args: [
        "fetch",
        `pop3://demo@${authority}`,
        "--tls",
        "none",
        "--auth",
        "apop",
        "--maildir",
        maildir,
        "--keep",
      ],
      cwd: dir,
      env: cleanEnv({ APOP_PASSWORD: "demo", XDG_STATE_HOME: state(), HOME: dir }),
    });
    const delivered = readdirSync(join(maildir, "new"));
    expect(delivered.length).toBe(3);
    const texts = delivered.map((file) => readFileSync(join(maildir, "new", file), "utf8"));
    expect(
      texts.some((text) => text.includes("This is a plain text message in the demo Maildir.")),
    ).toBe(true);
  });

  it.each(["apop", "apop-server"])("`%s --version` prints the package's version", async (bin) => {
    const name = bin === "apop" ? "@apop/cli" : "@apop/server";
    const { stdout } = await run({
      command: join(prefix(), "bin", bin),
      args: ["--version"],
      cwd: dir,
      env: cleanEnv(),
    });
    expect(stdout.trim().split(" ").at(-1)).toBe(manifests.get(name)?.version);
  });

  it("the programs' installed dependency trees run no install scripts", () => {
    const scripted: string[] = [];
    const walk = (folder: string): void => {
      if (!existsSync(folder)) return;
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name === ".bin") continue;
        const packageDir = join(folder, entry.name);
        if (entry.name.startsWith("@")) {
          walk(packageDir);
          continue;
        }
        const manifestPath = join(packageDir, "package.json");
        if (existsSync(manifestPath)) {
          const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
          const hooks = ["preinstall", "install", "postinstall"].filter(
            (h) => manifest.scripts?.[h],
          );
          if (hooks.length > 0 || existsSync(join(packageDir, "binding.gyp"))) {
            scripted.push(`${manifest.name}: ${hooks.join(", ") || "binding.gyp"}`);
          }
        }
        walk(join(packageDir, "node_modules"));
      }
    };
    const globalModules = join(prefix(), "lib", "node_modules");
    walk(globalModules);
    const npxCache = join(dir, "npm-cache", "_npx");
    for (const hash of existsSync(npxCache) ? readdirSync(npxCache) : []) {
      walk(join(npxCache, hash, "node_modules"));
    }
    expect(existsSync(join(globalModules, "@apop", "cli"))).toBe(true);
    expect(scripted).toEqual([]);
  });
});
