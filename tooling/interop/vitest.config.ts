import { defineConfig } from "vitest/config";
import { apopVitest } from "../vitest/preset.ts";

export default defineConfig(apopVitest({ testTimeout: 120_000 }));
