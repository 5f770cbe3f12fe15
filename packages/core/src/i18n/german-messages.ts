import { type MessageCatalog, plural, visible } from "./server-messages.ts";

/**
 * German (`de`), complete: `MessageCatalog` makes `tsc` refuse a missing id or a parameter the
 * id does not have. Texts with umlauts go out only after UTF8 (RFC 6856 section 2); before it
 * the session sends the i-default text instead (`renderMessage`).
 */
export const GERMAN: MessageCatalog = {
  ready: () => "POP3-Server bereit",
  inactive: () => "Verbindung wegen Inaktivität getrennt",
  loginTooLate: () => "Zu lange ohne Anmeldung",
  tooManyBadCommands: () => "Zu viele ungültige Befehle, Verbindung wird getrennt",
  tooManyConnections: () => "Zu viele Verbindungen, bitte später erneut versuchen",
  lineTooLong: () => "Zeile zu lang",
  saslLineTooLong: () => "SASL-Antwort zu lang",

  notUtf8: () => "Befehl ist kein gültiges UTF-8",
  controlCharacters: () => "Befehl enthält Steuerzeichen",
  unknownCommand: ({ keyword }) =>
    keyword === "" ? "Unbekannter Befehl" : `Unbekannter Befehl: ${visible(keyword)}`,
  oneSpace: ({ keyword }) => `${keyword}: Argumente werden durch ein Leerzeichen getrennt`,
  noArguments: ({ keyword }) => `${keyword} nimmt keine Argumente`,
  passNeedsPassword: () => "PASS braucht ein Passwort",
  userNeedsName: () => "USER nimmt einen Namen",
  apopArguments: () => "APOP nimmt einen Namen und einen Digest",
  apopDigest: () => "Der APOP-Digest muss aus 32 Hexziffern bestehen",
  atMostOneNumber: ({ keyword }) => `${keyword} nimmt höchstens eine Nachrichtennummer`,
  oneNumber: ({ keyword }) => `${keyword} nimmt eine Nachrichtennummer`,
  topArguments: () => "TOP nimmt eine Nachrichtennummer und eine Zeilenzahl",
  invalidNumber: ({ value }) => `Ungültige Nachrichtennummer: ${visible(value)}`,
  invalidLineCount: ({ value }) => `Ungültige Zeilenzahl: ${visible(value)}`,
  authArguments: () => "AUTH nimmt einen Mechanismus und eine optionale erste Antwort",
  invalidMechanism: () => "Ungültiger Name eines SASL-Mechanismus",
  langArguments: () => "LANG nimmt höchstens ein Sprachkennzeichen",
  invalidLanguageTag: () => "Ungültiges Sprachkennzeichen",
  wrongState: ({ keyword, state }) => `${keyword} ist im Zustand ${state} nicht erlaubt`,

  sendPass: () => "Bitte PASS senden",
  noUser: () => "Kein Benutzername, zuerst USER senden",
  plaintextDisallowed: () => "Klartext-Anmeldung ist ohne verschlüsselte Verbindung nicht erlaubt",
  prohibitedCharacter: () =>
    "Benutzername oder Passwort enthält ein Zeichen, das SASLprep verbietet",
  apopUnavailable: () => "APOP ist nicht verfügbar",
  mechanismList: () => "Unterstützte SASL-Mechanismen",
  unsupportedMechanism: ({ mechanism }) =>
    `Nicht unterstützter SASL-Mechanismus: ${visible(mechanism)}`,
  mechanismUnavailable: ({ mechanism }) =>
    `SASL-Mechanismus auf dieser Verbindung nicht verfügbar: ${visible(mechanism)}`,
  initialResponseBase64: () => "Ungültiges Base64 in der ersten Antwort",
  responseBase64: () => "Ungültiges Base64 in der SASL-Antwort",
  authCancelled: () => "Anmeldung abgebrochen",
  authFailed: () => "Anmeldung fehlgeschlagen",
  saslFailed: ({ reason }) => `Anmeldung fehlgeschlagen: ${visible(reason, 200)}`,
  inUse: () => "Das Postfach ist von einer anderen POP3-Sitzung gesperrt",
  loginDelay: () => "Zu kurz nach der letzten Anmeldung, bitte später erneut versuchen",
  loginDelayWait: ({ delay, wait }) =>
    `Zu kurz nach der letzten Anmeldung: weniger als ${delay} s her; noch ${wait} s warten`,
  temporaryFailure: () => "Vorübergehender Serverfehler, bitte später erneut versuchen",
  maildropUnavailable: () => "Postfach nicht verfügbar",
  loggedIn: ({ count, octets }) =>
    `Angemeldet, ${count} ${plural(count, "Nachricht", "Nachrichten")} (${octets} Oktette)`,
  stlsUnavailable: () => "STLS ist nicht verfügbar",
  tlsActive: () => "TLS ist bereits aktiv",
  beginTls: () => "TLS-Aushandlung beginnt",
  utf8Enabled: () => "UTF8 eingeschaltet",
  languageList: () => "Sprachen folgen",
  languageUnsupported: ({ range }) => `Sprache nicht unterstützt: ${visible(range)}`,
  languageSet: ({ tag }) => `${tag} Sprache eingestellt`,
  capabilityList: () => "Fähigkeiten folgen",
  signingOff: () => "POP3-Server verabschiedet sich",

  nothingToDo: () => "Nichts zu tun",
  scanList: ({ count, octets }) =>
    `${count} ${plural(count, "Nachricht", "Nachrichten")} (${octets} Oktette)`,
  uidList: () => "Liste der eindeutigen Kennungen folgt",
  messageFollows: ({ octets }) => `${octets} Oktette`,
  topFollows: () => "Anfang der Nachricht folgt",
  messageUnreadable: () => "Nachricht konnte nicht gelesen werden",
  noSuchMessage: ({ message, total }) => `Keine Nachricht ${message}, nur ${total}`,
  messageIsDeleted: ({ message }) => `Nachricht ${message} ist gelöscht`,
  deleted: ({ message }) => `Nachricht ${message} gelöscht`,
  reset: ({ count, octets }) =>
    `Postfach hat ${count} ${plural(count, "Nachricht", "Nachrichten")} (${octets} Oktette)`,
  signingOffLeft: ({ left }) =>
    `POP3-Server verabschiedet sich (${left} ${plural(left, "Nachricht", "Nachrichten")} übrig)`,
  deletesFailed: () => "Einige gelöschte Nachrichten wurden nicht entfernt",
};
