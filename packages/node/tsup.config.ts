import { defineConfig } from "tsup";
import { libraryBuild } from "@apop/tsup-preset";

export default defineConfig(libraryBuild({ platform: "node" }));
