import type { Client, MultiState } from './client.js';

/**
 * Who may run what: the ACL users (shared/commands/acl.ts installs them in every core createServerCore builds).
 * A core without it, the browser replica's, serves only its own trusted local client and its master's stream:
 * every command is allowed and only the default user and requirepass exist. Kept behind this interface so the
 * ACL tables stay out of the browser bundle.
 */
export interface Permissions {
  /** The NOPERM error for a command the client may not run (logged in the ACL LOG), or null. */
  check(client: Client, fullName: string, argv: string[]): string | null;
  /** EXEC's check of a queued command (the user's rules may have changed since it was queued), or null. */
  checkQueued(client: Client, fullName: string, argv: string[], multi: MultiState): string | null;
  /** AUTH and HELLO ... AUTH: `args` is [password] or [user, password]; throws Redis's error on failure. */
  authenticate(client: Client, args: string[], commandName: string): void;
  /** Whether new connections must authenticate first (the default user has a password or is off). */
  authRequired(): boolean;
}
