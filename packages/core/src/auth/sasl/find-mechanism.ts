/**
 * Finds a mechanism by name, ignoring ASCII case: RFC 5034 section 4 lets clients send the
 * name in any case (`AUTH plain`), as RFC 4422 section 3.1 names are case-insensitive.
 *
 * Only A-Z/a-z fold: a Unicode-aware comparison would match names that are not mechanism
 * names at all (`"plaın".toUpperCase()` is `"PLAIN"`, with a dotless i). Returns `undefined`
 * when nothing matches. Works for server and client lists alike.
 */
export function findMechanism<T extends { readonly name: string }>(
  list: readonly T[],
  name: string,
): T | undefined {
  return list.find((mechanism) => asciiCaseEqual(mechanism.name, name));
}

function asciiCaseEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (asciiUpper(a.charCodeAt(i)) !== asciiUpper(b.charCodeAt(i))) return false;
  }
  return true;
}

function asciiUpper(code: number): number {
  return code >= 0x61 && code <= 0x7a ? code - 0x20 : code;
}
