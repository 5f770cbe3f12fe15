import { describe, expect, it } from "vitest";
import { ApopError, isNamedApopError } from "./apop-error.ts";
import { LocalProtocolError } from "./local-protocol-error.ts";
import { Pop3Error } from "./pop3-error.ts";
import { RemoteProtocolError } from "./remote-protocol-error.ts";
import { StoreError } from "./store-error.ts";

/**
 * An error as another copy of @apop/core would make it: a different class, the same
 * `Symbol.for` marker, name and code.
 */
function fromAnotherCopy(name: string, code: string): Error {
  const error = new Error("from another copy") as Error & { code: string };
  Object.defineProperty(error, Symbol.for("@apop/core.error"), { value: true });
  error.name = name;
  error.code = code;
  return error;
}

describe("ApopError", () => {
  it("carries name, code, message and cause", () => {
    const cause = new Error("root");
    const error = new ApopError({ code: "x", message: "boom", cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ApopError");
    expect(error.code).toBe("x");
    expect(error.message).toBe("boom");
    expect(error.cause).toBe(cause);
  });

  it("leaves out cause when none is given", () => {
    expect("cause" in new ApopError({ code: "x", message: "m" })).toBe(false);
  });

  it("recognises errors from another copy of the package by their marker", () => {
    expect(ApopError.isInstance(fromAnotherCopy("Anything", "x"))).toBe(true);
  });

  it.each([[null], [undefined], ["ApopError"], [42], [new Error("plain")], [{ code: "x" }]])(
    "does not recognise %o",
    (value) => {
      expect(ApopError.isInstance(value)).toBe(false);
    },
  );

  it("matches names only on apop errors", () => {
    expect(isNamedApopError(new StoreError({ code: "in-use", message: "m" }), "StoreError")).toBe(
      true,
    );
    expect(
      isNamedApopError(Object.assign(new Error("m"), { name: "StoreError" }), "StoreError"),
    ).toBe(false);
  });
});

describe.each([
  [
    "LocalProtocolError",
    LocalProtocolError,
    () => new LocalProtocolError({ code: "invalid-state", message: "m" }),
  ],
  [
    "RemoteProtocolError",
    RemoteProtocolError,
    () => new RemoteProtocolError({ code: "timeout", message: "m" }),
  ],
  ["StoreError", StoreError, () => new StoreError({ code: "sys-temp", message: "m" })],
  ["Pop3Error", Pop3Error, () => new Pop3Error({ command: "PASS", serverText: "no" })],
] as const)("%s", (name, type, make) => {
  it("is an ApopError with its own name", () => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(ApopError);
    expect(ApopError.isInstance(error)).toBe(true);
    expect(type.isInstance(error)).toBe(true);
  });

  it("recognises its kind from another copy of the package", () => {
    expect(type.isInstance(fromAnotherCopy(name, "x"))).toBe(true);
  });

  it("does not take another kind for its own", () => {
    const others = ["LocalProtocolError", "RemoteProtocolError", "StoreError", "Pop3Error"].filter(
      (other) => other !== name,
    );
    for (const other of others) expect(type.isInstance(fromAnotherCopy(other, "x"))).toBe(false);
    expect(type.isInstance(new Error("m"))).toBe(false);
  });
});
