// Writes docs/state-machine.md from the TRANSITIONS and EVENT_TRANSITIONS tables of the built core.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  EVENT_SOURCES,
  EVENT_TRANSITIONS,
  renderStateDiagram,
  TRANSITIONS,
} from "../dist/index.js";

const rows = Object.entries(TRANSITIONS).map(([state, commands]) => {
  const allowed = Object.entries(commands)
    .filter(([, next]) => next !== null)
    .map(([keyword, next]) => (next === state ? keyword : `${keyword} → ${next}`));
  return `| ${state} | ${allowed.length > 0 ? allowed.join(", ") : "(none)"} |`;
});

const events = Object.entries(EVENT_TRANSITIONS).map(([state, byEvent]) => {
  const changes = Object.entries(byEvent)
    .filter(([, next]) => next !== null)
    .map(([event, next]) => `${event} → ${next} (${EVENT_SOURCES[event].join(", ")})`);
  return `| ${state} | ${changes.length > 0 ? changes.join(", ") : "(none)"} |`;
});

const doc = `# The POP3 state machine

Generated from \`TRANSITIONS\` and \`EVENT_TRANSITIONS\` in
\`packages/core/src/session/states.ts\` by \`npm run docs -w @apop/core\`; a test fails when this
file is stale. Do not edit by hand. Every change of state in both sessions comes from these two
tables; events are in parentheses in the diagram.

\`\`\`mermaid
${renderStateDiagram()}\`\`\`

| state | commands allowed (→ the state a success leads to) |
| --- | --- |
${rows.join("\n")}

| state | changes no command causes (→ where they lead; which session sees them) |
| --- | --- |
${events.join("\n")}
`;
writeFileSync(join(import.meta.dirname, "../../../docs/state-machine.md"), doc);
console.log("wrote docs/state-machine.md");
