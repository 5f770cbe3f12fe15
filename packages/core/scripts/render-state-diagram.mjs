// Writes docs/state-machine.md from the TRANSITIONS table of the built core.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderStateDiagram, TRANSITIONS } from "../dist/index.js";

const rows = Object.entries(TRANSITIONS).map(([state, commands]) => {
  const allowed = Object.entries(commands)
    .filter(([, next]) => next !== null)
    .map(([keyword, next]) => (next === state ? keyword : `${keyword} → ${next}`));
  return `| ${state} | ${allowed.length > 0 ? allowed.join(", ") : "(none)"} |`;
});

const doc = `# The POP3 state machine

Generated from \`TRANSITIONS\` in \`packages/core/src/session/states.ts\` by
\`npm run docs -w @apop/core\`; a test fails when this file is stale. Do not edit by hand.

\`\`\`mermaid
${renderStateDiagram()}\`\`\`

| state | commands allowed (→ the state a success leads to) |
| --- | --- |
${rows.join("\n")}
`;
writeFileSync(join(import.meta.dirname, "../../../docs/state-machine.md"), doc);
console.log("wrote docs/state-machine.md");
