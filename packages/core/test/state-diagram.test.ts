import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderStateDiagram } from "../src/internal.ts";

const docPath = join(import.meta.dirname, "../../../docs/state-machine.md");

describe("docs/state-machine.md", () => {
  it("holds the diagram generated from both tables (run `npm run docs -w @apop/core` to refresh)", () => {
    const doc = readFileSync(docPath, "utf8");
    expect(doc).toContain(`\`\`\`mermaid\n${renderStateDiagram()}\`\`\``);
  });
});
