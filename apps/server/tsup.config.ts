import { programBuild } from "@apop/tsup-preset";
import { defineConfig } from "tsup";

export default defineConfig(programBuild());
