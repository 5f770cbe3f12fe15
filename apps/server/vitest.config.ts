import { apopVitest } from "@apop/vitest-preset";
import { defineConfig } from "vitest/config";

export default defineConfig(apopVitest({ testTimeout: 60_000 }));
