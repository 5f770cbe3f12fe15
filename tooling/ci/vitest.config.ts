import { apopVitest } from "@apop/vitest-preset";
import { defineConfig } from "vitest/config";

const preset = apopVitest();

export default defineConfig({ ...preset, test: { ...preset.test, include: ["*.test.ts"] } });
