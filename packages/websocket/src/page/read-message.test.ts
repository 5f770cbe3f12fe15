import { describe, expect, it } from "vitest";
import { decodeWords, parseHeaders, readMessage } from "./read-message.ts";

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));

describe("the example page's message reading", () => {
  it("decodes RFC 2047 encoded words, B and Q, dropping the blank between two", () => {
    expect(decodeWords("=?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?aus_K=F6ln?=")).toBe(
      "Grüßeaus Köln",
    );
    expect(decodeWords("Re: =?utf-8?q?caf=C3=A9?= time")).toBe("Re: café time");
    expect(decodeWords("=?x-unknown?B?!!!?=")).toBe("=?x-unknown?B?!!!?=");
  });

  it("unfolds header fields and keeps the first of each name", () => {
    const headers = parseHeaders("Subject: a long\r\n\tsubject\r\nX: 1\r\nx: 2\r\n");
    expect(headers.get("subject")).toBe("a long\tsubject");
    expect(headers.get("x")).toBe("1");
  });

  it("shows a quoted-printable body in its charset", () => {
    const message = readMessage(
      bytes(
        "Subject: hi\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" +
          "Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln =\r\nis nice\r\n",
      ),
    );
    expect(message.text).toBe("Köln is nice\r\n");
  });

  it("shows the first text/plain part of a multipart message", () => {
    const message = readMessage(
      bytes(
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\npreamble\r\n--b1\r\n' +
          "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          `${Buffer.from("Grüße").toString("base64")}\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b1--\r\n`,
      ),
    );
    expect(message.text).toBe("Grüße");
  });
});
