// Assembles each WebAssembly text file in src/ (*.wat) into a TypeScript module beside it
// (*-wasm.ts) that holds the binary in base64, so core ships as plain JavaScript on every
// runtime with no build step or file to fetch. `--check` writes nothing and exits 1 when a
// generated file is stale (a test runs it). The assembler is wabt's, from npm.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import wabt from "wabt";

const src = join(import.meta.dirname, "../src");
const check = process.argv.includes("--check");
const { parseWat } = await wabt();

function watFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return watFiles(path);
    return entry.name.endsWith(".wat") ? [path] : [];
  });
}

let stale = 0;
for (const watPath of watFiles(src)) {
  const name = basename(watPath, ".wat");
  const module = parseWat(watPath, readFileSync(watPath, "utf8"), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({ write_debug_names: false });
  module.destroy();
  const constant = `${name.replaceAll("-", "_").toUpperCase()}_WASM`;
  const text = `// Generated from ${name}.wat by \`npm run wasm -w @apop/core\`; do not edit.

/** The WebAssembly binary of \`${name}.wat\`, in base64 (${buffer.length} octets). */
export const ${constant} =
  "${Buffer.from(buffer).toString("base64")}";
`;
  const tsPath = join(src, relative(src, watPath)).replace(/\.wat$/, "-wasm.ts");
  let current = "";
  try {
    current = readFileSync(tsPath, "utf8");
  } catch {}
  if (current === text) continue;
  if (check) {
    console.error(`${relative(process.cwd(), tsPath)} is stale: run npm run wasm -w @apop/core`);
    stale++;
  } else {
    writeFileSync(tsPath, text);
    console.log(`wrote ${relative(process.cwd(), tsPath)}`);
  }
}
process.exitCode = stale === 0 ? 0 : 1;
