import { defineConfig } from "tsup";
import { programBuild } from "@apop/tsup-preset";

export default defineConfig({
  ...programBuild(),
  // The @apop packages are bundled in: the program runs exactly the protocol code it was
  // built and tested with, and a rebuild of a package's dist/ (tsup cleans it first) never
  // breaks an installed or running `apop`. zod stays an ordinary dependency.
  noExternal: [/^@apop\//],
});
