import type { ServerCore } from '../engine/server-core.js';

/*
 * DEBUG SET-DISABLE-DENY-SCRIPTS (Redis's server.script_disable_deny_script): while set, scripts may call
 * commands flagged noscript (the test suite uses it to run DEBUG PROTOCOL and CLIENT LIST from scripts). Kept
 * apart from the engine so DEBUG can set it without loading the Lua VM.
 */

const disabled = new WeakSet<ServerCore>();

/** DEBUG SET-DISABLE-DENY-SCRIPTS <0|1>. */
export function setDenyScriptsDisabled(core: ServerCore, on: boolean): void {
  if (on) disabled.add(core);
  else disabled.delete(core);
}

/** Whether scripts may call noscript commands now. */
export function denyScriptsDisabled(core: ServerCore): boolean {
  return disabled.has(core);
}
