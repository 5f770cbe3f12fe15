import { defineConfig } from "tsup";
import { programBuild } from "@apop/tsup-preset";

export default defineConfig({
  ...programBuild(),
  // The @apop packages are bundled in: the program runs exactly the protocol code it was
  // built and tested with, and a rebuild of a package's dist/ (tsup cleans it first) never
  // breaks an installed or running `apop`. zod/mini is bundled in too: only the few checks
  // apop uses end up in dist/, where loading zod from node_modules (dozens of modules to
  // resolve and compile) took longer than all of apop's own start-up.
  noExternal: [/^@apop\//, /^zod\//],
});
