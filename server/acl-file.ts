import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AclFileHost } from '../shared/engine/server-core.js';
import type { LogLevel } from './logger.js';

/** The aclfile refused at startup: the server must not start (Redis exits with this line logged). */
export class AclStartupError extends Error {}

/** strerror's words for the errors a file open reports. */
function describe(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error).message;
}

/** The aclfile on disk, as ACL LOAD and ACL SAVE use it: SAVE writes a temporary file then renames it. */
export function nodeAclFile(log: (level: LogLevel, message: string) => void): AclFileHost {
  return {
    read(path) {
      try {
        return { text: readFileSync(path, 'latin1') };
      } catch (e) {
        return { error: describe(e) };
      }
    },
    write(path, text) {
      const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
      try {
        writeFileSync(tmp, Buffer.from(text, 'latin1'), { mode: 0o644 });
        renameSync(tmp, path);
        return true;
      } catch (e) {
        log('warning', `Writing ACL file for ACL SAVE: ${describe(e)}`);
        try {
          unlinkSync(tmp);
        } catch {
          // Nothing was left behind.
        }
        return false;
      }
    },
  };
}
