import { command, type CommandSpec } from '../engine/command-spec.js';
import { Notify } from '../engine/keyspace-events.js';
import { CommandError, SYNTAX } from '../errors.js';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from '../rdb/dump-payload.js';
import { binaryToBytes } from '../bytes.js';
import { OK } from '../resp/reply.js';
import type { RedisValue } from '../store/database.js';
import { isWord, parseInteger } from './parse.js';

const BUSYKEY = 'BUSYKEY Target key name already exists.';
const BAD_TTL = 'ERR Invalid TTL value, must be >= 0';
const BAD_IDLETIME = 'ERR Invalid IDLETIME value, must be >= 0';
const BAD_FREQ = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
const BAD_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
const BAD_DATA = 'ERR Bad data format';

/**
 * DUMP and RESTORE (Redis's cluster.c dumpCommand/restoreCommand). Payloads use Redis's format, so values move
 * between this server and a stock Redis 7.0 in both directions. IDLETIME and FREQ are validated as Redis does
 * but have no effect: this store keeps no LRU/LFU metadata.
 */
export const dumpCommands: CommandSpec[] = [
  command({
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'generic',
    summary: 'Return a serialized version of the value stored at the specified key.',
    since: '2.6.0',
    handler: (ctx, argv) => {
      const value = ctx.lookupRead(argv[1]);
      if (value === undefined) return null;
      const config = ctx.core.config;
      return createDumpPayload(value, {
        compress: config.bool('rdbcompression'),
        streamNodeLimits: { maxBytes: config.int('stream-node-max-bytes'), maxEntries: config.int('stream-node-max-entries') },
      });
    },
  }),
  command({
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: 'generic',
    summary: 'Create a key using the provided serialized value, previously obtained using DUMP.',
    since: '2.6.0',
    handler: (ctx, argv) => {
      let replace = false;
      let absttl = false;
      let idle = -1;
      let freq = -1;
      for (let j = 4; j < argv.length; j++) {
        const more = argv.length - j - 1;
        if (isWord(argv[j], 'replace')) {
          replace = true;
        } else if (isWord(argv[j], 'absttl')) {
          absttl = true;
        } else if (isWord(argv[j], 'idletime') && more >= 1 && freq === -1) {
          idle = parseInteger(argv[++j]);
          if (idle < 0) throw new CommandError(BAD_IDLETIME);
        } else if (isWord(argv[j], 'freq') && more >= 1 && idle === -1) {
          freq = parseInteger(argv[++j]);
          if (freq < 0 || freq > 255) throw new CommandError(BAD_FREQ);
        } else {
          throw new CommandError(SYNTAX);
        }
      }

      const key = argv[1];
      if (!replace && ctx.lookupWrite(key) !== undefined) throw new CommandError(BUSYKEY);

      let ttl = parseInteger(argv[2]);
      if (ttl < 0) throw new CommandError(BAD_TTL);

      const payload = binaryToBytes(argv[3]);
      if (!verifyDumpPayload(payload)) throw new CommandError(BAD_PAYLOAD);
      let value: RedisValue;
      try {
        value = decodeDumpPayload(payload);
      } catch {
        throw new CommandError(BAD_DATA);
      }

      const db = ctx.db;
      // Redis's dbDelete (no expiry check): the change is reported once, below, as a DEL or as the RESTORE.
      const deleted = replace && db.dict.delete(key);
      if (deleted) db.expires.delete(key);

      if (ttl && !absttl) ttl += ctx.now;
      // An already expired TTL: nothing is stored (on a master); a replaced key becomes a DEL. A replica keeps
      // the key with its past expiry and waits for its master's DEL, as Redis's checkAlreadyExpired says.
      if (ttl && ttl <= ctx.now && !ctx.core.isReplica()) {
        if (deleted) {
          ctx.modified(key);
          ctx.rewrite(['DEL', key]);
          ctx.notify(Notify.GENERIC, 'del', key);
        }
        return OK;
      }

      // The key was deleted above when replaced, so this adds it anew and "new" fires, as Redis's dbAdd.
      ctx.setKey(key, value);
      if (ttl) {
        ctx.setExpire(key, ttl);
        // Redis propagates a relative TTL as an absolute one: argv[2] becomes the deadline, ABSTTL is appended.
        if (!absttl) ctx.rewrite([argv[0], key, String(ttl), ...argv.slice(3), 'ABSTTL']);
      }
      ctx.notify(Notify.GENERIC, 'restore', key);
      return OK;
    },
  }),
];

/**
 * RESTORE-ASKING: RESTORE that a cluster node accepts for a slot it is importing (MIGRATE sends it in cluster
 * mode), as if the client had sent ASKING first.
 */
dumpCommands.push(
  command({
    ...dumpCommands.find((c) => c.name === 'restore')!,
    name: 'restore-asking',
    group: 'server',
    summary: 'An internal command for migrating keys in a cluster',
    since: '3.0.0',
  }),
);
