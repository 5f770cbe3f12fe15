import { describe, expect, it } from "vitest";
import { parseMessage, parseSummary } from "./parse-message.ts";

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));

describe("the page's message reading (postal-mime)", () => {
  it("summarises a header section: RFC 2047 words decoded, the sender's name, the date", async () => {
    const summary = await parseSummary(
      bytes(
        "From: =?ISO-8859-1?Q?J=F6rg?= <jorg@example.test>\r\n" +
          "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?aus_K=F6ln?=\r\n" +
          "Date: Thu, 1 Jan 2026 10:00:00 +0100\r\n\r\n",
      ),
    );
    expect(summary).toEqual({
      from: "Jörg",
      subject: "Grüßeaus Köln",
      date: new Date("2026-01-01T09:00:00Z"),
    });
  });

  it("gives the address when there is no name, and null for a missing or broken date", async () => {
    expect(await parseSummary(bytes("From: bob@example.test\r\nDate: soon\r\n\r\n"))).toEqual({
      from: "bob@example.test",
      subject: "",
      date: null,
    });
  });

  it("reads a quoted-printable body in its charset", async () => {
    const message = await parseMessage(
      bytes(
        "Subject: hi\r\nTo: A <a@example.test>, b@example.test\r\n" +
          "Content-Type: text/plain; charset=iso-8859-1\r\n" +
          "Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln =\r\nis nice\r\n",
      ),
    );
    expect(message.text?.trim()).toBe("Köln is nice");
    expect(message.to).toBe("A <a@example.test>, b@example.test");
    expect(message.html).toBeNull();
  });

  it("reads the text and HTML parts of a multipart message and lists its attachment", async () => {
    const pdf = Buffer.from("%PDF-1.4 not really\n");
    const message = await parseMessage(
      bytes(
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n' +
          'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n--inner\r\n' +
          "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          `${Buffer.from("Grüße").toString("base64")}\r\n--inner\r\n` +
          "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Gr\xc3\xbc\xc3\x9fe</p>\r\n--inner--\r\n" +
          '--outer\r\nContent-Type: application/pdf; name="plan.pdf"\r\n' +
          'Content-Disposition: attachment; filename="plan.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
          `${pdf.toString("base64")}\r\n--outer--\r\n`,
      ),
    );
    expect(message.text?.trim()).toBe("Grüße");
    expect(message.html).toContain("<p>Grüße</p>");
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({
      filename: "plan.pdf",
      mimeType: "application/pdf",
      inline: false,
    });
    expect(Buffer.from(message.attachments[0]?.content ?? []).equals(pdf)).toBe(true);
  });
});
