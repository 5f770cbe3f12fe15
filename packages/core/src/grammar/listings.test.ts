import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_NUMBER } from "./command.ts";
import {
  formatMaildropSize,
  formatScanListing,
  formatUniqueIdListing,
  parseMaildropSize,
  parseScanListing,
  parseUniqueIdListing,
} from "./listings.ts";

const SEED = 20261126;
const RUNS = 500;

describe("STAT: maildrop size (RFC 1939 section 5)", () => {
  it("reads `nn mm`", () => {
    expect(parseMaildropSize("2 320")).toStrictEqual({ count: 2, size: 320 });
    expect(parseMaildropSize("0 0")).toStrictEqual({ count: 0, size: 0 });
  });

  it("ignores text after the two numbers", () => {
    expect(parseMaildropSize("2 320 messages in maildrop")).toStrictEqual({ count: 2, size: 320 });
  });

  it("formats `nn mm`", () => {
    expect(formatMaildropSize({ count: 2, size: 320 })).toBe("2 320");
  });

  it.each([
    [""],
    ["2"],
    ["two 320"],
    ["2 -320"],
    ["-2 320"],
    ["2 3.5"],
    ["2 0x10"],
    [`1 ${"9".repeat(16)}`],
  ])("refuses %j", (text) => {
    expect(parseMaildropSize(text)).toBeNull();
  });
});

describe("LIST: scan listings (RFC 1939 section 5)", () => {
  it("reads `msg size`", () => {
    expect(parseScanListing("1 120")).toStrictEqual({ message: 1, size: 120 });
  });

  it("ignores text after the size, as clients must", () => {
    expect(parseScanListing("2 200 octets, with a note")).toStrictEqual({ message: 2, size: 200 });
  });

  it("reads a size of 0 and large sizes", () => {
    expect(parseScanListing("3 0")).toStrictEqual({ message: 3, size: 0 });
    expect(parseScanListing("3 999999999999999")).toStrictEqual({
      message: 3,
      size: 999999999999999,
    });
  });

  it("formats `msg size`", () => {
    expect(formatScanListing({ message: 1, size: 120 })).toBe("1 120");
  });

  it.each([
    [""],
    ["1"],
    ["0 120"],
    [`${MAX_NUMBER + 1} 120`],
    ["x 120"],
    ["1 x"],
    ["-1 120"],
    ["+1 120"],
    ["1 -120"],
  ])("refuses %j", (text) => {
    expect(parseScanListing(text)).toBeNull();
  });

  it("parse(format(listing)) is the listing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_NUMBER }),
        // Sizes up to the 15 digits the client reads.
        fc.maxSafeNat().map((n) => n % 1e15),
        (message, size) => {
          expect(parseScanListing(formatScanListing({ message, size }))).toStrictEqual({
            message,
            size,
          });
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("UIDL: unique-id listings (RFC 1939 section 7)", () => {
  it("reads `msg unique-id`", () => {
    expect(parseUniqueIdListing("1 whqtswO00WBw418f9t5JxYwZ")).toStrictEqual({
      message: 1,
      uid: "whqtswO00WBw418f9t5JxYwZ",
    });
  });

  it("accepts unique-ids longer than the RFC's 70 characters (RFC 1939 section 7)", () => {
    const uid = "x".repeat(200);
    expect(parseUniqueIdListing(`4 ${uid}`)).toStrictEqual({ message: 4, uid });
  });

  it("accepts every printable character in a unique-id", () => {
    let uid = "";
    for (let code = 0x21; code <= 0x7e; code++) uid += String.fromCharCode(code);
    expect(parseUniqueIdListing(`2 ${uid}`)).toStrictEqual({ message: 2, uid });
  });

  it("ignores text after the unique-id", () => {
    expect(parseUniqueIdListing("2 QhdPYR:00WBw1Ph7x7 trailing")).toStrictEqual({
      message: 2,
      uid: "QhdPYR:00WBw1Ph7x7",
    });
  });

  it("formats `msg unique-id`", () => {
    expect(formatUniqueIdListing({ message: 2, uid: "QhdPYR:00WBw1Ph7x7" })).toBe(
      "2 QhdPYR:00WBw1Ph7x7",
    );
  });

  it.each([[""], ["1"], ["1 "], ["0 abc"], ["x abc"], [`${MAX_NUMBER + 1} abc`], ["-1 abc"]])(
    "refuses %j",
    (text) => {
      expect(parseUniqueIdListing(text)).toBeNull();
    },
  );

  it("parse(format(listing)) is the listing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_NUMBER }),
        fc.stringMatching(/^[\x21-\x7e]{1,120}$/),
        (message, uid) => {
          expect(parseUniqueIdListing(formatUniqueIdListing({ message, uid }))).toStrictEqual({
            message,
            uid,
          });
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
