export { createMaildirStore, type MaildirStoreOptions } from "./create-maildir-store.ts";
export {
  acquireDovecotSessionLock,
  DOVECOT_SESSION_LOCK,
  type DovecotSessionLock,
} from "./dovecot-session-lock.ts";
export {
  type DovecotUidFields,
  type DovecotUidlistSourceOptions,
  dovecotDefaultUidl,
  dovecotUidlistSource,
} from "./dovecot-uidlist-source.ts";
export { MAX_USER_NAME_OCTETS, maildirUserPath } from "./maildir-user-path.ts";
export {
  acquireMaildropLock,
  DEFAULT_REFRESH_MS,
  DEFAULT_STALE_AFTER_MS,
  LOCK_FILE,
  type MaildropLock,
  type MaildropLockTimings,
} from "./maildrop-lock.ts";
export {
  type DovecotUidlist,
  type DovecotUidlistRecord,
  parseDovecotUidlist,
} from "./parse-dovecot-uidlist.ts";
export { type MaildirName, parseMaildirName } from "./parse-maildir-name.ts";
export { SIZE_CACHE_FILE } from "./size-cache.ts";
export type { UidLookup, UidSource } from "./uid-source.ts";
