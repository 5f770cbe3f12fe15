import path from "node:path";

/**
 * `<dir>/<name>` by concatenation. For a `dir` that is absolute and normalized (a real path,
 * `/proc/self/fd/<n>`, a resolved root) and a `name` that is one path component other than
 * `.` and `..` (a fixed file name, a checked user name), `path.join` answers the same string,
 * after scanning and normalizing both parts on every call: on the login path that is some
 * kilobytes of garbage per session. Callers that cannot promise both use `path.join`.
 */
export function childPath(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? `${dir}${name}` : `${dir}${path.sep}${name}`;
}

/** True for a `name` that `childPath` may append: one path component, not `.` or `..`. */
export function isOneComponent(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && path.basename(name) === name;
}
