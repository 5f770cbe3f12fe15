import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { parsePop3Url } from "./pop3-url.ts";

describe("parsePop3Url", () => {
  it.each([
    // RFC 2384 section 3 and its examples.
    [
      "pop://rg@mailsrv.qualcomm.com",
      { host: "mailsrv.qualcomm.com", tls: "starttls", user: "rg" },
    ],
    [
      "pop://rg;AUTH=+APOP@mail.eudora.com:8110",
      { host: "mail.eudora.com", port: 8110, tls: "starttls", user: "rg", auth: "+APOP" },
    ],
    [
      "pop://baz;AUTH=SCRAM-MD5@foo.bar",
      { host: "foo.bar", tls: "starttls", user: "baz", auth: "SCRAM-MD5" },
    ],
    ["pop://u;AUTH=*@h", { host: "h", tls: "starttls", user: "u", auth: "*" }],
    ["pop://u;auth=cram-md5@h", { host: "h", tls: "starttls", user: "u", auth: "CRAM-MD5" }],
    ["pop://h", { host: "h", tls: "starttls" }],
    ["pop://h/", { host: "h", tls: "starttls" }],
    // %-decoding: a literal ';' or '@' in the user name travels encoded.
    ["pop://a%3Bb%40c@h", { host: "h", tls: "starttls", user: "a;b@c" }],
    ["pop://j%C3%BCrgen@h", { host: "h", tls: "starttls", user: "jürgen" }],
    // curl's schemes.
    ["pop3://user@mail.example.com", { host: "mail.example.com", tls: "starttls", user: "user" }],
    ["pop3s://mail.example.com", { host: "mail.example.com", tls: "implicit" }],
    ["POP3S://mail.example.com:1995", { host: "mail.example.com", port: 1995, tls: "implicit" }],
    ["pop3s://[::1]:995", { host: "::1", port: 995, tls: "implicit" }],
    ["pop://127.0.0.1:0110", { host: "127.0.0.1", port: 110, tls: "starttls" }],
  ])("%s", (url, expected) => {
    expect(parsePop3Url(url)).toEqual(expected);
  });

  it.each([
    [
      "pop3://alice:secret@mail.example.com",
      /no password.*write pop3:\/\/alice@mail\.example\.com/,
    ],
    ["pop3s://host.example/1", /not a message.*curl's message 1.*write pop3s:\/\/host\.example /],
    ["pop3://host.example/INBOX", /not a message or folder.*write pop3:\/\/host\.example /],
  ])("says what to write instead of curl's %s", (url, message) => {
    expect(() => parsePop3Url(url)).toThrow(message);
  });

  it.each([
    "http://example.com",
    "pop://",
    "pop://h:0",
    "pop://h:65536",
    "pop://h/INBOX",
    "pop://h?x=1",
    "pop://h#frag",
    "pop://@h",
    "pop://;AUTH=*@h",
    "pop://u;FOO=bar@h",
    "pop://u%ZZ@h",
    "pop:/h",
  ])("refuses %s", (url) => {
    const error = (() => {
      try {
        parsePop3Url(url);
      } catch (e) {
        return e;
      }
    })();
    expect(LocalProtocolError.isInstance(error) && error.code).toBe("invalid-argument");
  });
});
