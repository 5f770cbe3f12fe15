import { defineConfig } from "tsup";
import { programBuild } from "../../tooling/tsup/preset.ts";

export default defineConfig(programBuild());
