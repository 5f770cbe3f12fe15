// `npm:@apop/deno` (and the bare name through node_modules) loads the built bundle, since
// Deno does not strip types inside node_modules. JSR users get mod.ts itself.
import { deepStrictEqual } from "node:assert";
import * as fromNpm from "@apop/deno";
import * as fromSource from "../mod.ts";

Deno.test("the npm form of @apop/deno exports what mod.ts exports", () => {
  deepStrictEqual(Object.keys(fromNpm).sort(), Object.keys(fromSource).sort());
  deepStrictEqual(typeof fromNpm.connect, "function");
  deepStrictEqual(typeof fromNpm.serve, "function");
});
