import { createHmac } from "node:crypto";
import fc from "fast-check";
import { expect, it } from "vitest";
import { toHex } from "../bytes/hex.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";
import { hmacMd5 } from "./hmac-md5.ts";

const repeat = (byte: number, count: number): Uint8Array => new Uint8Array(count).fill(byte);

// RFC 2202 section 2 (its first three are RFC 2104's appendix examples).
it.each([
  ["1", repeat(0x0b, 16), encodeUtf8("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"],
  [
    "2",
    encodeUtf8("Jefe"),
    encodeUtf8("what do ya want for nothing?"),
    "750c783e6ab0b503eaa86e310a5db738",
  ],
  ["3", repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"],
  [
    "4",
    Uint8Array.from({ length: 25 }, (_, i) => i + 1),
    repeat(0xcd, 50),
    "697eaf0aca3a3aea3a75164746ffaa79",
  ],
  ["5", repeat(0x0c, 16), encodeUtf8("Test With Truncation"), "56461ef2342edc00f9bab995690efd4c"],
  [
    "6",
    repeat(0xaa, 80),
    encodeUtf8("Test Using Larger Than Block-Size Key - Hash Key First"),
    "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
  ],
  [
    "7",
    repeat(0xaa, 80),
    encodeUtf8("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
    "6f630fad67cda0ee1fb1f562db3aa53e",
  ],
])("RFC 2202 test case %s", (_case, key, message, digest) => {
  expect(toHex(hmacMd5({ key, message }))).toBe(digest);
});

it("computes RFC 2195's CRAM-MD5 example digest", () => {
  const digest = hmacMd5({
    key: encodeUtf8("tanstaaftanstaaf"),
    message: encodeUtf8("<1896.697170952@postoffice.reston.mci.net>"),
  });
  expect(toHex(digest)).toBe("b913a602c7eda7a495b4e6e7334d3890");
});

it("matches node:crypto for keys and messages of any length", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 150 }),
      fc.uint8Array({ maxLength: 300 }),
      (key, message) => {
        const expected = new Uint8Array(createHmac("md5", key).update(message).digest());
        expect(hmacMd5({ key, message })).toEqual(expected);
      },
    ),
    { seed: 2104, numRuns: 500 },
  );
});

it("matches node:crypto at key lengths 63, 64 and 65", () => {
  for (const length of [0, 63, 64, 65]) {
    const key = repeat(0x42, length);
    const message = encodeUtf8("x");
    const expected = new Uint8Array(createHmac("md5", key).update(message).digest());
    expect(hmacMd5({ key, message })).toEqual(expected);
  }
});
