import { defineConfig } from "tsup";
import { programBuild } from "@apop/tsup-preset";

export default defineConfig(programBuild());
