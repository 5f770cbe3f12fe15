import path from "node:path";

/**
 * `<dir>/<name>`, by concatenation when `dir` is absolute. For an absolute `dir` that is
 * normalized (a real path, `/proc/self/fd/<n>`, a resolved root) and a `name` that is one
 * path component other than `.` and `..` (a fixed file name, a checked user name, a directory
 * entry), `path.join` answers the same string, after scanning and normalizing both parts on
 * every call: on the login path that is some kilobytes of garbage per session. (For an
 * absolute `dir` that is not normalized, both strings name the same file.) A relative `dir`
 * (`""` included) goes through `path.join`. Callers that cannot promise `name` use
 * `path.join` (`isOneComponent`).
 */
export function childPath(dir: string, name: string): string {
  if (!path.isAbsolute(dir)) return path.join(dir, name);
  return dir.endsWith(path.sep) ? `${dir}${name}` : `${dir}${path.sep}${name}`;
}

/** True for a `name` that `childPath` may append: one path component, not `.` or `..`. */
export function isOneComponent(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && path.basename(name) === name;
}
