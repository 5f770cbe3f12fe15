import { defineConfig } from "tsup";
import { libraryBuild } from "../../tooling/tsup/preset.ts";

export default defineConfig(libraryBuild({ platform: "neutral" }));
