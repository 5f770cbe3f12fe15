// API reports: one `api/<entry>.api.md` per public entry point of every publishable package
// that ships types, written by API Extractor from the built `.d.ts`. Reviewers see a change
// to the public surface as a diff of these files; `--check` fails when one is stale.
// Usage: node api-reports.mjs [--check] [package-dir ...]   (after `npm run build`)
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { REPO_ROOT, workspaceDirs } from "./workspace-dirs.mjs";

const root = REPO_ROOT;
const args = process.argv.slice(2);
const check = args.includes("--check");
const only = args.filter((a) => a !== "--check");

/** Publishable workspaces (not private), as `group/name` folders. */
function publishableDirs() {
  return workspaceDirs(root).filter(
    (dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).private !== true,
  );
}

/** The ESM `.d.ts` of each entry point: `{ name: "index" | "bridge" | ..., dts }`. */
function typedEntries(manifest) {
  return Object.entries(manifest.exports ?? {}).flatMap(([entry, target]) => {
    if (entry === "./package.json" || typeof target !== "object") return [];
    const dts = target.import?.types ?? target.types;
    if (typeof dts !== "string") return [];
    return [{ name: entry === "." ? "index" : entry.slice(2).replaceAll("/", "-"), dts }];
  });
}

const temp = mkdtempSync(join(tmpdir(), "apop-api-report-"));
const stale = [];
for (const dir of only.length > 0 ? only : publishableDirs()) {
  if (!check) mkdirSync(join(root, dir, "api"), { recursive: true });
  const projectFolder = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(projectFolder, "package.json"), "utf8"));
  for (const { name, dts } of typedEntries(manifest)) {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder,
        mainEntryPointFilePath: join(projectFolder, dts),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: "ES2022",
              lib: ["ES2022", "DOM"],
              types: ["node"],
              module: "NodeNext",
              moduleResolution: "NodeNext",
              strict: true,
              skipLibCheck: true,
            },
            files: [join(projectFolder, dts)],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: name,
          reportFolder: join(projectFolder, "api"),
          reportTempFolder: join(temp, dir),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: "warning" } },
          extractorMessageReporting: {
            default: { logLevel: "warning" },
            // Release tags (@public, @beta) are not used in this repository.
            "ae-missing-release-tag": { logLevel: "none" },
            "ae-forgotten-export": { logLevel: "none", addToApiReportFile: true },
            // The report marks them `(undocumented)`, which is where a reviewer sees them.
            "ae-undocumented": { logLevel: "none", addToApiReportFile: true },
          },
          tsdocMessageReporting: { default: { logLevel: "none" } },
        },
      },
      configObjectFullPath: join(projectFolder, "api-extractor.json"),
      packageJsonFullPath: join(projectFolder, "package.json"),
    });
    const result = Extractor.invoke(config, {
      localBuild: !check,
      messageCallback: (message) => {
        // Only what is wrong goes to the terminal; the report itself carries the rest.
        if (message.logLevel !== "error") message.handled = true;
      },
    });
    const label = `${manifest.name}${name === "index" ? "" : `/${name}`}`;
    if (!result.succeeded || (check && result.apiReportChanged)) {
      stale.push(`${label} (${dir}/api/${name}.api.md)`);
    } else if (!check && result.apiReportChanged) {
      console.log(`updated ${dir}/api/${name}.api.md`);
    }
  }
}
rmSync(temp, { recursive: true, force: true });

if (stale.length > 0) {
  console.error(
    `API reports out of date (run \`npm run build && npm run api:update\` and commit):\n  ${stale.join("\n  ")}`,
  );
  process.exit(1);
}
