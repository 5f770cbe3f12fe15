import { defineConfig } from "tsup";
import { libraryBuild } from "@apop/tsup-preset";

export default defineConfig({
  ...libraryBuild({ platform: "node" }),
  // The repo's private helpers (the process check the lock shares with apop) are bundled in:
  // the published package never depends on @apop/cli-kit.
  noExternal: [/^@apop\/cli-kit$/],
});
