import { defineConfig } from "vitest/config";
import { apopVitest } from "../../tooling/vitest/preset.ts";

export default defineConfig(apopVitest({ testTimeout: 60_000 }));
