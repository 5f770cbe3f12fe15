import { defineConfig } from "vitest/config";
import { apopVitest } from "@apop/vitest-preset";

export default defineConfig(apopVitest());
