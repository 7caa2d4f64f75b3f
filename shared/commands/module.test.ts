import { describe, expect, it } from 'vitest';
import { createHarness, errorReply } from '../../test/helpers/core-harness.js';

describe('MODULE (no loader: Redis’s replies for a server with no modules)', () => {
  it('lists no modules; LOAD, LOADEX and UNLOAD are protected by enable-module-command', () => {
    const c = createHarness().client();
    expect(c.call('MODULE', 'LIST')).toEqual([]);
    const notAllowed = errorReply(
      'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    );
    expect(c.call('MODULE', 'LOAD', '/x.so')).toEqual(notAllowed);
    expect(c.call('MODULE', 'UNLOAD', 'x')).toEqual(notAllowed);
    expect(c.call('MODULE', 'LOAD')).toEqual(errorReply("ERR wrong number of arguments for 'module|load' command"));
    expect(c.call('MODULE', 'FOO')).toEqual(errorReply("ERR unknown subcommand 'FOO'. Try MODULE HELP."));
  });

  it('with enable-module-command yes, a load fails as a failed load does in Redis, and says why in the log', () => {
    const h = createHarness({ config: { 'enable-module-command': 'yes' } });
    const c = h.client();
    expect(c.call('MODULE', 'LOAD', '/x.so')).toEqual(errorReply('ERR Error loading the extension. Please check the server logs.'));
    expect(c.call('MODULE', 'LOADEX', '/x.so', 'CONFIG', 'a', 'b')).toEqual(errorReply('ERR Error loading the extension. Please check the server logs.'));
    expect(h.logs.some((l) => l.includes('Module /x.so failed to load'))).toBe(true);
    expect(c.call('MODULE', 'UNLOAD', 'foo')).toEqual(errorReply('ERR Error unloading module: no such module with that name'));
    expect((c.call('MODULE', 'HELP') as { value: string }[])[1].value).toBe('LIST');
  });
});
