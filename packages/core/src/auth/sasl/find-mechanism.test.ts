import { expect, it } from "vitest";
import { cramMd5Server } from "./cram-md5.ts";
import { findMechanism } from "./find-mechanism.ts";
import { loginServer } from "./login.ts";
import { plainServer } from "./plain.ts";

const servers = [plainServer, loginServer, cramMd5Server];

it("finds a mechanism by name in any ASCII case", () => {
  expect(findMechanism(servers, "PLAIN")).toBe(plainServer);
  expect(findMechanism(servers, "plain")).toBe(plainServer);
  expect(findMechanism(servers, "Cram-Md5")).toBe(cramMd5Server);
  expect(findMechanism(servers, "login")).toBe(loginServer);
});

it("answers undefined for unknown names", () => {
  expect(findMechanism(servers, "SCRAM-SHA-256")).toBeUndefined();
  expect(findMechanism(servers, "")).toBeUndefined();
  expect(findMechanism(servers, "PLAIN ")).toBeUndefined();
  expect(findMechanism([], "PLAIN")).toBeUndefined();
});

it("folds ASCII only, so Unicode look-alikes do not match", () => {
  // "plaın".toUpperCase() === "PLAIN" (dotless i), and "ſ".toUpperCase() === "S".
  expect(findMechanism(servers, "pla\u0131n")).toBeUndefined();
  expect(findMechanism([{ name: "S" }], "\u017f")).toBeUndefined();
  // A-Z/a-z fold, nothing next to them does ('@' and '`' sit 0x20 from nothing useful).
  expect(findMechanism([{ name: "@" }], "`")).toBeUndefined();
});
