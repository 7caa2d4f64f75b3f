import { CommandError, unknownSubcommand, wrongArity } from '../errors.js';
import { globMatch } from '../glob.js';
import { command, commandKeys, type CommandSpec } from '../engine/command-spec.js';
import type { ServerCore } from '../engine/server-core.js';
import { MapReply, SetReply, SimpleString, type Reply } from '../resp/reply.js';
import { isWord } from './parse.js';
import { helpReply, subcommandSyntaxError } from './help-reply.js';

/**
 * What COMMAND INFO reports that a CommandSpec does not carry, from Redis 7.0.15's command table, by full name
 * ("config|get"): [ACL category adjustments, tips, key specs, extra flags].
 * - ACL categories are derived like Redis's setImplicitACLCategories (from flags, plus the group's own
 *   category); the adjustments add ("+dangerous") or remove ("-keyspace") categories on top of that.
 * - Tips are space-separated.
 * - Key specs are separated by "|"; each is "FLAGS;BEGIN;FIND[;notes]" where BEGIN is "i<index>",
 *   "k<keyword>,<startfrom>" or "u" (unknown) and FIND is "r<lastkey>,<keystep>,<limit>",
 *   "n<keynumidx>,<firstkey>,<keystep>" or "u".
 * - Extra flags are command flags a CommandSpec cannot express (no_async_loading, no_mandatory_keys, asking).
 * Commands missing here get categories from their flags and a key spec from their first/last/step.
 */
const META: Record<string, [string, string, string, string]> = {
  append: ['', '', 'RW insert;i1;r0,1,0', ''],
  asking: ['+connection', '', '', ''],
  bgrewriteaof: ['', '', '', 'no_async_loading'],
  bgsave: ['', '', '', 'no_async_loading'],
  bitcount: ['', '', 'RO access;i1;r0,1,0', ''],
  bitfield: ['', '', 'RW access update variable_flags;i1;r0,1,0;This command allows both access and modification of the key', ''],
  bitfield_ro: ['', '', 'RO access;i1;r0,1,0', ''],
  bitop: ['', '', 'OW update;i2;r0,1,0|RO access;i3;r-1,1,0', ''],
  bitpos: ['', '', 'RO access;i1;r0,1,0', ''],
  blmove: ['', '', 'RW access delete;i1;r0,1,0|RW insert;i2;r0,1,0', ''],
  blmpop: ['', '', 'RW access delete;i2;n0,1,1', ''],
  blpop: ['', '', 'RW access delete;i1;r-2,1,0', ''],
  brpop: ['', '', 'RW access delete;i1;r-2,1,0', ''],
  brpoplpush: ['', '', 'RW access delete;i1;r0,1,0|RW insert;i2;r0,1,0', ''],
  bzmpop: ['', '', 'RW access delete;i2;n0,1,1', ''],
  bzpopmax: ['', '', 'RW access delete;i1;r-2,1,0', ''],
  bzpopmin: ['', '', 'RW access delete;i1;r-2,1,0', ''],
  'client|info': ['', 'nondeterministic_output', '', ''],
  'client|list': ['', 'nondeterministic_output', '', ''],
  'cluster|addslots': ['', '', '', 'no_async_loading'],
  'cluster|addslotsrange': ['', '', '', 'no_async_loading'],
  'cluster|bumpepoch': ['', 'nondeterministic_output', '', 'no_async_loading'],
  'cluster|count-failure-reports': ['', 'nondeterministic_output', '', ''],
  'cluster|delslots': ['', '', '', 'no_async_loading'],
  'cluster|delslotsrange': ['', '', '', 'no_async_loading'],
  'cluster|failover': ['', '', '', 'no_async_loading'],
  'cluster|flushslots': ['', '', '', 'no_async_loading'],
  'cluster|forget': ['', '', '', 'no_async_loading'],
  'cluster|getkeysinslot': ['', 'nondeterministic_output', '', ''],
  'cluster|info': ['', 'nondeterministic_output', '', ''],
  'cluster|links': ['', 'nondeterministic_output', '', ''],
  'cluster|meet': ['', '', '', 'no_async_loading'],
  'cluster|nodes': ['', 'nondeterministic_output', '', ''],
  'cluster|replicas': ['', 'nondeterministic_output', '', ''],
  'cluster|replicate': ['', '', '', 'no_async_loading'],
  'cluster|saveconfig': ['', '', '', 'no_async_loading'],
  'cluster|set-config-epoch': ['', '', '', 'no_async_loading'],
  'cluster|setslot': ['', '', '', 'no_async_loading'],
  'cluster|shards': ['', 'nondeterministic_output', '', ''],
  'cluster|slaves': ['', 'nondeterministic_output', '', ''],
  'cluster|slots': ['', 'nondeterministic_output', '', ''],
  command: ['+connection', 'nondeterministic_output_order', '', ''],
  'command|count': ['+connection', '', '', ''],
  'command|docs': ['+connection', 'nondeterministic_output_order', '', ''],
  'command|getkeys': ['+connection', '', '', ''],
  'command|getkeysandflags': ['+connection', '', '', ''],
  'command|help': ['+connection', '', '', ''],
  'command|info': ['+connection', 'nondeterministic_output_order', '', ''],
  'command|list': ['+connection', 'nondeterministic_output_order', '', ''],
  'config|set': ['', 'request_policy:all_nodes response_policy:all_succeeded', '', ''],
  copy: ['', '', 'RO access;i1;r0,1,0|OW update;i2;r0,1,0', ''],
  dbsize: ['+keyspace', 'request_policy:all_shards response_policy:agg_sum', '', ''],
  decr: ['', '', 'RW access update;i1;r0,1,0', ''],
  decrby: ['', '', 'RW access update;i1;r0,1,0', ''],
  del: ['', 'request_policy:multi_shard response_policy:agg_sum', 'RM delete;i1;r-1,1,0', ''],
  dump: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  eval: ['', '', 'RW access update;i2;n0,1,1;We cannot tell how the keys will be used so we assume the worst, RW and UPDATE', 'no_mandatory_keys'],
  eval_ro: ['', '', 'RO access;i2;n0,1,1;We cannot tell how the keys will be used so we assume the worst, RO and ACCESS', 'no_mandatory_keys'],
  evalsha: ['', '', 'RW access update;i2;n0,1,1', 'no_mandatory_keys'],
  evalsha_ro: ['', '', 'RO access;i2;n0,1,1', 'no_mandatory_keys'],
  exists: ['', 'request_policy:multi_shard response_policy:agg_sum', 'RO;i1;r-1,1,0', ''],
  expire: ['', '', 'RW update;i1;r0,1,0', ''],
  expireat: ['', '', 'RW update;i1;r0,1,0', ''],
  expiretime: ['', '', 'RO access;i1;r0,1,0', ''],
  fcall: ['', '', 'RW access update;i2;n0,1,1;We cannot tell how the keys will be used so we assume the worst, RW and UPDATE', 'no_mandatory_keys'],
  fcall_ro: ['', '', 'RO access;i2;n0,1,1;We cannot tell how the keys will be used so we assume the worst, RO and ACCESS', 'no_mandatory_keys'],
  flushall: ['+keyspace +dangerous', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  flushdb: ['+keyspace +dangerous', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'function|delete': ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'function|flush': ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'function|kill': ['', 'request_policy:all_shards response_policy:one_succeeded', '', ''],
  'function|list': ['', 'nondeterministic_output_order', '', ''],
  'function|load': ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'function|restore': ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'function|stats': ['', 'nondeterministic_output request_policy:all_shards response_policy:special', '', ''],
  geoadd: ['', '', 'RW update;i1;r0,1,0', ''],
  geodist: ['', '', 'RO access;i1;r0,1,0', ''],
  geohash: ['', '', 'RO access;i1;r0,1,0', ''],
  geopos: ['', '', 'RO access;i1;r0,1,0', ''],
  georadius: ['', '', 'RO access;i1;r0,1,0|OW update;kSTORE,6;r0,1,0|OW update;kSTOREDIST,6;r0,1,0', ''],
  georadius_ro: ['', '', 'RO access;i1;r0,1,0', ''],
  georadiusbymember: ['', '', 'RO access;i1;r0,1,0|OW update;kSTORE,5;r0,1,0|OW update;kSTOREDIST,5;r0,1,0', ''],
  georadiusbymember_ro: ['', '', 'RO access;i1;r0,1,0', ''],
  geosearch: ['', '', 'RO access;i1;r0,1,0', ''],
  geosearchstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;r0,1,0', ''],
  get: ['', '', 'RO access;i1;r0,1,0', ''],
  getbit: ['', '', 'RO access;i1;r0,1,0', ''],
  getdel: ['', '', 'RW access delete;i1;r0,1,0', ''],
  getex: ['', '', 'RW access update;i1;r0,1,0;RW and UPDATE because it changes the TTL', ''],
  getrange: ['', '', 'RO access;i1;r0,1,0', ''],
  getset: ['', '', 'RW access update;i1;r0,1,0', ''],
  hdel: ['', '', 'RW delete;i1;r0,1,0', ''],
  hexists: ['', '', 'RO;i1;r0,1,0', ''],
  hget: ['', '', 'RO access;i1;r0,1,0', ''],
  hgetall: ['', 'nondeterministic_output_order', 'RO access;i1;r0,1,0', ''],
  hincrby: ['', '', 'RW access update;i1;r0,1,0', ''],
  hincrbyfloat: ['', '', 'RW access update;i1;r0,1,0', ''],
  hkeys: ['', 'nondeterministic_output_order', 'RO access;i1;r0,1,0', ''],
  hlen: ['', '', 'RO;i1;r0,1,0', ''],
  hmget: ['', '', 'RO access;i1;r0,1,0', ''],
  hmset: ['', '', 'RW update;i1;r0,1,0', ''],
  hrandfield: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  hscan: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  hset: ['', '', 'RW update;i1;r0,1,0', ''],
  hsetnx: ['', '', 'RW insert;i1;r0,1,0', ''],
  hstrlen: ['', '', 'RO;i1;r0,1,0', ''],
  hvals: ['', 'nondeterministic_output_order', 'RO access;i1;r0,1,0', ''],
  incr: ['', '', 'RW access update;i1;r0,1,0', ''],
  incrby: ['', '', 'RW access update;i1;r0,1,0', ''],
  incrbyfloat: ['', '', 'RW access update;i1;r0,1,0', ''],
  info: ['+dangerous', 'nondeterministic_output request_policy:all_shards response_policy:special', '', ''],
  keys: ['+dangerous', 'request_policy:all_shards nondeterministic_output_order', '', ''],
  lastsave: ['+admin +dangerous', 'nondeterministic_output', '', ''],
  'latency|doctor': ['', 'nondeterministic_output request_policy:all_nodes response_policy:special', '', ''],
  'latency|graph': ['', 'nondeterministic_output request_policy:all_nodes response_policy:special', '', ''],
  'latency|histogram': ['', 'nondeterministic_output request_policy:all_nodes response_policy:special', '', ''],
  'latency|history': ['', 'nondeterministic_output request_policy:all_nodes response_policy:special', '', ''],
  'latency|latest': ['', 'nondeterministic_output request_policy:all_nodes response_policy:special', '', ''],
  'latency|reset': ['', 'request_policy:all_nodes response_policy:all_succeeded', '', ''],
  lcs: ['', '', 'RO access;i1;r1,1,0', ''],
  lindex: ['', '', 'RO access;i1;r0,1,0', ''],
  linsert: ['', '', 'RW insert;i1;r0,1,0', ''],
  llen: ['', '', 'RO;i1;r0,1,0', ''],
  lmove: ['', '', 'RW access delete;i1;r0,1,0|RW insert;i2;r0,1,0', ''],
  lmpop: ['', '', 'RW access delete;i1;n0,1,1', ''],
  lpop: ['', '', 'RW access delete;i1;r0,1,0', ''],
  lpos: ['', '', 'RO access;i1;r0,1,0', ''],
  lpush: ['', '', 'RW insert;i1;r0,1,0', ''],
  lpushx: ['', '', 'RW insert;i1;r0,1,0', ''],
  lrange: ['', '', 'RO access;i1;r0,1,0', ''],
  lrem: ['', '', 'RW delete;i1;r0,1,0', ''],
  lset: ['', '', 'RW update;i1;r0,1,0', ''],
  ltrim: ['', '', 'RW delete;i1;r0,1,0', ''],
  'memory|doctor': ['', 'nondeterministic_output request_policy:all_shards response_policy:special', '', ''],
  'memory|malloc-stats': ['', 'nondeterministic_output request_policy:all_shards response_policy:special', '', ''],
  'memory|purge': ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  'memory|stats': ['', 'nondeterministic_output request_policy:all_shards response_policy:special', '', ''],
  'memory|usage': ['', '', 'RO;i2;r0,1,0', ''],
  mget: ['', 'request_policy:multi_shard', 'RO access;i1;r-1,1,0', ''],
  migrate: ['+dangerous', 'nondeterministic_output', 'RW access delete;i3;r0,1,0|RW access delete incomplete;kKEYS,-2;r-1,1,0', ''],
  'module|list': ['', 'nondeterministic_output_order', '', ''],
  'module|load': ['', '', '', 'no_async_loading'],
  'module|loadex': ['', '', '', 'no_async_loading'],
  'module|unload': ['', '', '', 'no_async_loading'],
  move: ['', '', 'RW access update;i1;r0,1,0', ''],
  mset: ['', 'request_policy:multi_shard response_policy:all_succeeded', 'OW update;i1;r-1,2,0', ''],
  msetnx: ['', 'request_policy:multi_shard response_policy:agg_min', 'OW insert;i1;r-1,2,0', ''],
  'object|encoding': ['', 'nondeterministic_output', 'RO;i2;r0,1,0', ''],
  'object|freq': ['', 'nondeterministic_output', 'RO;i2;r0,1,0', ''],
  'object|idletime': ['', 'nondeterministic_output', 'RO;i2;r0,1,0', ''],
  'object|refcount': ['', 'nondeterministic_output', 'RO;i2;r0,1,0', ''],
  persist: ['', '', 'RW update;i1;r0,1,0', ''],
  pexpire: ['', '', 'RW update;i1;r0,1,0', ''],
  pexpireat: ['', '', 'RW update;i1;r0,1,0', ''],
  pexpiretime: ['', '', 'RO access;i1;r0,1,0', ''],
  pfadd: ['', '', 'RW insert;i1;r0,1,0', ''],
  pfcount: ['', '', 'RW access;i1;r-1,1,0;RW because it may change the internal representation of the key, and propagate to replicas', ''],
  pfdebug: ['', '', 'RW access;i2;r0,1,0', ''],
  pfmerge: ['', '', 'RW access insert;i1;r0,1,0|RO access;i2;r-1,1,0', ''],
  ping: ['', 'request_policy:all_shards response_policy:all_succeeded', '', ''],
  psetex: ['', '', 'OW update;i1;r0,1,0', ''],
  psync: ['', '', '', 'no_async_loading'],
  pttl: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  'pubsub|help': ['-pubsub', '', '', ''],
  randomkey: ['', 'request_policy:all_shards nondeterministic_output', '', ''],
  readonly: ['+connection', '', '', ''],
  readwrite: ['+connection', '', '', ''],
  rename: ['', '', 'RW access delete;i1;r0,1,0|OW update;i2;r0,1,0', ''],
  renamenx: ['', '', 'RW access delete;i1;r0,1,0|OW insert;i2;r0,1,0', ''],
  replicaof: ['', '', '', 'no_async_loading'],
  restore: ['+dangerous', '', 'OW update;i1;r0,1,0', ''],
  'restore-asking': ['+keyspace +dangerous', '', 'OW update;i1;r0,1,0', 'asking'],
  role: ['+admin +dangerous', '', '', ''],
  rpop: ['', '', 'RW access delete;i1;r0,1,0', ''],
  rpoplpush: ['', '', 'RW access delete;i1;r0,1,0|RW insert;i2;r0,1,0', ''],
  rpush: ['', '', 'RW insert;i1;r0,1,0', ''],
  rpushx: ['', '', 'RW insert;i1;r0,1,0', ''],
  sadd: ['', '', 'RW insert;i1;r0,1,0', ''],
  save: ['', '', '', 'no_async_loading'],
  scan: ['', 'nondeterministic_output request_policy:special', '', ''],
  scard: ['', '', 'RO;i1;r0,1,0', ''],
  'script|exists': ['', 'request_policy:all_shards response_policy:agg_logical_and', '', ''],
  'script|flush': ['', 'request_policy:all_nodes response_policy:all_succeeded', '', ''],
  'script|kill': ['', 'request_policy:all_shards response_policy:one_succeeded', '', ''],
  'script|load': ['', 'request_policy:all_nodes response_policy:all_succeeded', '', ''],
  sdiff: ['', 'nondeterministic_output_order', 'RO access;i1;r-1,1,0', ''],
  sdiffstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;r-1,1,0', ''],
  set: ['', '', 'RW access update variable_flags;i1;r0,1,0;RW and ACCESS due to the optional `GET` argument', ''],
  setbit: ['', '', 'RW access update;i1;r0,1,0', ''],
  setex: ['', '', 'OW update;i1;r0,1,0', ''],
  setnx: ['', '', 'OW insert;i1;r0,1,0', ''],
  setrange: ['', '', 'RW update;i1;r0,1,0', ''],
  sinter: ['', 'nondeterministic_output_order', 'RO access;i1;r-1,1,0', ''],
  sintercard: ['', '', 'RO access;i1;n0,1,1', ''],
  sinterstore: ['', '', 'RW update;i1;r0,1,0|RO access;i2;r-1,1,0', ''],
  sismember: ['', '', 'RO;i1;r0,1,0', ''],
  slaveof: ['', '', '', 'no_async_loading'],
  'slowlog|get': ['', 'request_policy:all_nodes nondeterministic_output', '', ''],
  'slowlog|len': ['', 'request_policy:all_nodes response_policy:agg_sum nondeterministic_output', '', ''],
  'slowlog|reset': ['', 'request_policy:all_nodes response_policy:all_succeeded', '', ''],
  smembers: ['', 'nondeterministic_output_order', 'RO access;i1;r0,1,0', ''],
  smismember: ['', '', 'RO access;i1;r0,1,0', ''],
  smove: ['', '', 'RW access delete;i1;r0,1,0|RW insert;i2;r0,1,0', ''],
  sort: ['+set +sortedset +list +dangerous -keyspace', '', 'RO access;i1;r0,1,0|RO access;u;u;For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort|OW update;u;u;For the optional STORE keyword. It is marked \'unknown\' because the keyword can appear anywhere in the argument array', ''],
  sort_ro: ['+set +sortedset +list +dangerous -keyspace', '', 'RO access;i1;r0,1,0|RO access;u;u;For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort', ''],
  spop: ['', 'nondeterministic_output', 'RW access delete;i1;r0,1,0', ''],
  spublish: ['', '', 'not_key;i1;r0,1,0', ''],
  srandmember: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  srem: ['', '', 'RW delete;i1;r0,1,0', ''],
  sscan: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  ssubscribe: ['', '', 'not_key;i1;r-1,1,0', ''],
  strlen: ['', '', 'RO;i1;r0,1,0', ''],
  substr: ['', '', 'RO access;i1;r0,1,0', ''],
  sunion: ['', 'nondeterministic_output_order', 'RO access;i1;r-1,1,0', ''],
  sunionstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;r-1,1,0', ''],
  sunsubscribe: ['', '', 'not_key;i1;r-1,1,0', ''],
  swapdb: ['+keyspace +dangerous', '', '', ''],
  sync: ['', '', '', 'no_async_loading'],
  time: ['', 'nondeterministic_output', '', ''],
  touch: ['', 'request_policy:multi_shard response_policy:agg_sum', 'RO;i1;r-1,1,0', ''],
  ttl: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  type: ['', '', 'RO;i1;r0,1,0', ''],
  unlink: ['', 'request_policy:multi_shard response_policy:agg_sum', 'RM delete;i1;r-1,1,0', ''],
  wait: ['+connection -keyspace', 'request_policy:all_shards response_policy:agg_min', '', ''],
  watch: ['', '', 'RO;i1;r-1,1,0', ''],
  xack: ['', '', 'RW update;i1;r0,1,0', ''],
  xadd: ['', 'nondeterministic_output', 'RW update;i1;r0,1,0;UPDATE instead of INSERT because of the optional trimming feature', ''],
  xautoclaim: ['', 'nondeterministic_output', 'RW delete;i1;r0,1,0', ''],
  xclaim: ['', 'nondeterministic_output', 'RW update;i1;r0,1,0', ''],
  xdel: ['', '', 'RW delete;i1;r0,1,0', ''],
  'xgroup|create': ['', '', 'RW insert;i2;r0,1,0', ''],
  'xgroup|createconsumer': ['', '', 'RW insert;i2;r0,1,0', ''],
  'xgroup|delconsumer': ['', '', 'RW delete;i2;r0,1,0', ''],
  'xgroup|destroy': ['', '', 'RW delete;i2;r0,1,0', ''],
  'xgroup|setid': ['', '', 'RW update;i2;r0,1,0', ''],
  'xinfo|consumers': ['', 'nondeterministic_output', 'RO access;i2;r0,1,0', ''],
  'xinfo|groups': ['', '', 'RO access;i2;r0,1,0', ''],
  'xinfo|stream': ['', '', 'RO access;i2;r0,1,0', ''],
  xlen: ['', '', 'RO;i1;r0,1,0', ''],
  xpending: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  xrange: ['', '', 'RO access;i1;r0,1,0', ''],
  xread: ['', '', 'RO access;kSTREAMS,1;r-1,1,2', ''],
  xreadgroup: ['', '', 'RO access;kSTREAMS,4;r-1,1,2', ''],
  xrevrange: ['', '', 'RO access;i1;r0,1,0', ''],
  xsetid: ['', '', 'RW update;i1;r0,1,0', ''],
  xtrim: ['', 'nondeterministic_output', 'RW delete;i1;r0,1,0', ''],
  zadd: ['', '', 'RW update;i1;r0,1,0', ''],
  zcard: ['', '', 'RO;i1;r0,1,0', ''],
  zcount: ['', '', 'RO access;i1;r0,1,0', ''],
  zdiff: ['', '', 'RO access;i1;n0,1,1', ''],
  zdiffstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;n0,1,1', ''],
  zincrby: ['', '', 'RW access update;i1;r0,1,0', ''],
  zinter: ['', '', 'RO access;i1;n0,1,1', ''],
  zintercard: ['', '', 'RO access;i1;n0,1,1', ''],
  zinterstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;n0,1,1', ''],
  zlexcount: ['', '', 'RO access;i1;r0,1,0', ''],
  zmpop: ['', '', 'RW access delete;i1;n0,1,1', ''],
  zmscore: ['', '', 'RO access;i1;r0,1,0', ''],
  zpopmax: ['', '', 'RW access delete;i1;r0,1,0', ''],
  zpopmin: ['', '', 'RW access delete;i1;r0,1,0', ''],
  zrandmember: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  zrange: ['', '', 'RO access;i1;r0,1,0', ''],
  zrangebylex: ['', '', 'RO access;i1;r0,1,0', ''],
  zrangebyscore: ['', '', 'RO access;i1;r0,1,0', ''],
  zrangestore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;r0,1,0', ''],
  zrank: ['', '', 'RO access;i1;r0,1,0', ''],
  zrem: ['', '', 'RW delete;i1;r0,1,0', ''],
  zremrangebylex: ['', '', 'RW delete;i1;r0,1,0', ''],
  zremrangebyrank: ['', '', 'RW delete;i1;r0,1,0', ''],
  zremrangebyscore: ['', '', 'RW delete;i1;r0,1,0', ''],
  zrevrange: ['', '', 'RO access;i1;r0,1,0', ''],
  zrevrangebylex: ['', '', 'RO access;i1;r0,1,0', ''],
  zrevrangebyscore: ['', '', 'RO access;i1;r0,1,0', ''],
  zrevrank: ['', '', 'RO access;i1;r0,1,0', ''],
  zscan: ['', 'nondeterministic_output', 'RO access;i1;r0,1,0', ''],
  zscore: ['', '', 'RO access;i1;r0,1,0', ''],
  zunion: ['', '', 'RO access;i1;n0,1,1', ''],
  zunionstore: ['', '', 'OW update;i1;r0,1,0|RO access;i2;n0,1,1', ''],
};

/** Command flags in the order Redis prints them (may_replicate is hidden, as in Redis). */
const FLAG_ORDER = [
  'write',
  'readonly',
  'denyoom',
  'module',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'asking',
  'fast',
  'no_auth',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
];

/** ACL categories in Redis's bit order, which is the order COMMAND INFO prints them in. */
const ACL_CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

/** The ACL category each command group's commands belong to. */
const GROUP_CATEGORY: Record<string, string> = {
  generic: 'keyspace',
  string: 'string',
  list: 'list',
  hash: 'hash',
  set: 'set',
  'sorted-set': 'sortedset',
  pubsub: 'pubsub',
  connection: 'connection',
  transactions: 'transaction',
  bitmap: 'bitmap',
  hyperloglog: 'hyperloglog',
  geo: 'geo',
  stream: 'stream',
  scripting: 'scripting',
};

/** A key spec as COMMAND INFO reports it. */
interface KeySpec {
  notes: string;
  flags: string[];
  begin: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startfrom: number } | { type: 'unknown' };
  find:
    | { type: 'range'; lastkey: number; keystep: number; limit: number }
    | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number }
    | { type: 'unknown' };
}

/**
 * Subcommands a container handles itself instead of through dispatch. COMMAND must answer with no subcommand
 * at all, which dispatch does not allow for a spec with `subcommands`, so its subcommands live here for
 * introspection (COMMAND INFO command, COMMAND LIST, COMMAND COUNT).
 */
const ownSubcommands = new WeakMap<CommandSpec, CommandSpec[]>();

/** A command's subcommands, whether dispatch or the command itself routes them. */
export function subcommandsOf(spec: CommandSpec): CommandSpec[] | undefined {
  return spec.subcommands ?? ownSubcommands.get(spec);
}

/** Looks a command up by name or full name ("config|get"), case-insensitively. */
export function findCommand(core: ServerCore, name: string): { spec: CommandSpec; fullName: string } | null {
  const lower = name.toLowerCase();
  const bar = lower.indexOf('|');
  if (bar < 0) {
    const spec = core.commands.get(lower);
    return spec ? { spec, fullName: spec.name } : null;
  }
  const parent = core.commands.get(lower.slice(0, bar));
  const sub = parent && subcommandsOf(parent)?.find((s) => s.name === lower.slice(bar + 1));
  return parent && sub ? { spec: sub, fullName: `${parent.name}|${sub.name}` } : null;
}

/** The ACL categories of a command, as "@name", in Redis's order. */
export function aclCategories(spec: CommandSpec, fullName: string): string[] {
  const cats = new Set<string>();
  // Containers carry no categories of their own beyond @slow.
  const groupCat = subcommandsOf(spec) ? undefined : GROUP_CATEGORY[spec.group];
  if (groupCat) cats.add(groupCat);
  if (spec.flags.includes('write')) cats.add('write');
  if (spec.flags.includes('readonly') && !cats.has('scripting')) cats.add('read');
  if (spec.flags.includes('admin')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (spec.flags.includes('pubsub')) cats.add('pubsub');
  if (spec.flags.includes('fast')) cats.add('fast');
  if (spec.flags.includes('blocking')) cats.add('blocking');
  for (const adj of (META[fullName]?.[0] ?? '').split(' ')) {
    if (adj.startsWith('+')) cats.add(adj.slice(1));
    else if (adj.startsWith('-')) cats.delete(adj.slice(1));
  }
  if (!cats.has('fast')) cats.add('slow');
  return ACL_CATEGORIES.filter((c) => cats.has(c)).map((c) => `@${c}`);
}

function commandFlags(spec: CommandSpec, fullName: string): string[] {
  const flags = new Set<string>(spec.flags);
  for (const f of (META[fullName]?.[3] ?? '').split(' ')) if (f) flags.add(f);
  if (spec.getKeys) flags.add('movablekeys');
  return FLAG_ORDER.filter((f) => flags.has(f));
}

function keySpecs(spec: CommandSpec, fullName: string): KeySpec[] {
  const meta = META[fullName];
  if (meta) return meta[2] === '' ? [] : meta[2].split('|').map(parseKeySpec);
  if (spec.firstKey <= 0) return [];
  return [
    {
      notes: '',
      flags: spec.flags.includes('write') ? ['RW', 'access', 'update'] : ['RO', 'access'],
      begin: { type: 'index', index: spec.firstKey },
      find: {
        type: 'range',
        lastkey: spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey,
        keystep: spec.step || 1,
        limit: 0,
      },
    },
  ];
}

function parseKeySpec(text: string): KeySpec {
  const [flags, begin, find, ...notes] = text.split(';');
  const nums = (s: string) => s.slice(1).split(',').map(Number);
  let b: KeySpec['begin'] = { type: 'unknown' };
  if (begin[0] === 'i') b = { type: 'index', index: Number(begin.slice(1)) };
  else if (begin[0] === 'k') {
    const comma = begin.lastIndexOf(',');
    b = { type: 'keyword', keyword: begin.slice(1, comma), startfrom: Number(begin.slice(comma + 1)) };
  }
  let f: KeySpec['find'] = { type: 'unknown' };
  if (find[0] === 'r') {
    const [lastkey, keystep, limit] = nums(find);
    f = { type: 'range', lastkey, keystep, limit };
  } else if (find[0] === 'n') {
    const [keynumidx, firstkey, keystep] = nums(find);
    f = { type: 'keynum', keynumidx, firstkey, keystep };
  }
  return { notes: notes.join(';'), flags: flags.split(' '), begin: b, find: f };
}

function keySpecReply(ks: KeySpec): Reply {
  const entries: Array<[Reply, Reply]> = [];
  if (ks.notes) entries.push(['notes', ks.notes]);
  entries.push(['flags', statusSet(ks.flags)]);
  let begin: MapReply;
  if (ks.begin.type === 'index') begin = typedSpec('index', [['index', ks.begin.index]]);
  else if (ks.begin.type === 'keyword') {
    begin = typedSpec('keyword', [
      ['keyword', ks.begin.keyword],
      ['startfrom', ks.begin.startfrom],
    ]);
  } else begin = typedSpec('unknown', []);
  entries.push(['begin_search', begin]);
  let find: MapReply;
  if (ks.find.type === 'range') {
    find = typedSpec('range', [
      ['lastkey', ks.find.lastkey],
      ['keystep', ks.find.keystep],
      ['limit', ks.find.limit],
    ]);
  } else if (ks.find.type === 'keynum') {
    find = typedSpec('keynum', [
      ['keynumidx', ks.find.keynumidx],
      ['firstkey', ks.find.firstkey],
      ['keystep', ks.find.keystep],
    ]);
  } else find = typedSpec('unknown', []);
  entries.push(['find_keys', find]);
  return new MapReply(entries);
}

/** A begin_search or find_keys value: its type and its parameters. */
function typedSpec(type: string, fields: Array<[Reply, Reply]>): MapReply {
  return new MapReply([
    ['type', type],
    ['spec', new MapReply(fields)],
  ]);
}

function statusSet(items: string[]): SetReply {
  return new SetReply(items.map((s) => new SimpleString(s)));
}

/**
 * One command's COMMAND INFO entry, in Redis 7.0's format: name, arity, flags, first key, last key, step,
 * ACL categories, tips, key specs, subcommands.
 */
export function commandInfoReply(spec: CommandSpec, fullName: string): Reply {
  const tips = META[fullName]?.[1] ?? '';
  const subs = subcommandsOf(spec) ?? [];
  return [
    fullName,
    spec.arity,
    statusSet(commandFlags(spec, fullName)),
    spec.firstKey,
    spec.lastKey,
    spec.step,
    statusSet(aclCategories(spec, fullName)),
    new SetReply(tips === '' ? [] : tips.split(' ')),
    new SetReply(keySpecs(spec, fullName).map(keySpecReply)),
    // Redis answers an empty set when there are no subcommands and an array when there are.
    subs.length === 0 ? new SetReply([]) : subs.map((s) => commandInfoReply(s, `${fullName}|${s.name}`)),
  ];
}

/** One command's COMMAND DOCS entry: summary, since, group and its subcommands' docs. */
export function commandDocsReply(spec: CommandSpec, fullName: string): Reply {
  const entries: Array<[Reply, Reply]> = [];
  if (spec.summary) entries.push(['summary', spec.summary]);
  entries.push(['since', spec.since]);
  entries.push(['group', spec.group]);
  const subs = subcommandsOf(spec);
  if (subs) {
    entries.push([
      'subcommands',
      new MapReply(subs.map((s) => [`${fullName}|${s.name}`, commandDocsReply(s, `${fullName}|${s.name}`)])),
    ]);
  }
  return new MapReply(entries);
}

export { helpReply, subcommandSyntaxError };

/** Every command and subcommand full name, parents first. */
function allFullNames(core: ServerCore): Array<{ spec: CommandSpec; fullName: string }> {
  const out: Array<{ spec: CommandSpec; fullName: string }> = [];
  for (const spec of core.commands.values()) {
    out.push({ spec, fullName: spec.name });
    for (const sub of subcommandsOf(spec) ?? []) out.push({ spec: sub, fullName: `${spec.name}|${sub.name}` });
  }
  return out;
}

/** The target command of COMMAND GETKEYS: its spec (resolving a subcommand) or null. */
function targetCommand(core: ServerCore, argv: string[]): { spec: CommandSpec; fullName: string } | null {
  const parent = core.commands.get(argv[0].toLowerCase());
  if (!parent) return null;
  const subs = subcommandsOf(parent);
  if (!subs || argv.length === 1) return { spec: parent, fullName: parent.name };
  const sub = subs.find((s) => s.name === argv[1].toLowerCase());
  return sub ? { spec: sub, fullName: `${parent.name}|${sub.name}` } : null;
}

/** The key flags of the key spec that covers argv[pos]: the keyword spec it follows, or the nearest index spec. */
function keyFlagsAt(specs: KeySpec[], argv: string[], pos: number, fallback: string[]): string[] {
  let best: KeySpec | undefined;
  let bestIndex = -1;
  for (const ks of specs) {
    if (ks.begin.type === 'keyword' && pos > 0 && argv[pos - 1].toLowerCase() === ks.begin.keyword.toLowerCase()) {
      return ks.flags;
    }
    if (ks.begin.type === 'index' && ks.begin.index <= pos && ks.begin.index > bestIndex) {
      best = ks;
      bestIndex = ks.begin.index;
    }
  }
  return best?.flags ?? specs[0]?.flags ?? fallback;
}

/**
 * Key flags of the commands whose key spec says "variable_flags": Redis's setGetKeys and bitfieldGetKeys
 * decide from the arguments.
 */
function variableKeyFlags(fullName: string, argv: string[], pos: number): string[] | null {
  // SORT's STORE key spec is "unknown": Redis's sortGetKeys flags the destination itself.
  if (fullName === 'sort') return pos === 1 ? ['RO', 'access'] : ['OW', 'update'];
  if (fullName === 'set') {
    return argv.slice(3).some((a) => isWord(a, 'get')) ? ['RW', 'access', 'update'] : ['OW', 'update'];
  }
  if (fullName === 'bitfield') {
    for (let i = 2; i < argv.length; i++) {
      const rest = argv.length - i - 1;
      if (isWord(argv[i], 'get') && rest >= 2) i += 2;
      else if (isWord(argv[i], 'overflow') && rest >= 1) i += 1;
      else return ['RW', 'access', 'update'];
    }
    return ['RO', 'access'];
  }
  return null;
}

/** COMMAND GETKEYS and GETKEYSANDFLAGS. */
function getKeys(core: ServerCore, argv: string[], withFlags: boolean): Reply {
  const target = argv.slice(2);
  const found = targetCommand(core, target);
  if (!found) throw new CommandError('ERR Invalid command specified');
  const { spec, fullName } = found;
  const specs = keySpecs(spec, fullName);
  if (!spec.getKeys && !specs.some((ks) => !ks.flags.includes('not_key'))) {
    throw new CommandError('ERR The command has no key arguments');
  }
  if ((spec.arity > 0 && spec.arity !== target.length) || target.length < -spec.arity) {
    throw new CommandError('ERR Invalid number of arguments specified for command');
  }
  let positions: number[];
  try {
    positions = commandKeys(spec, target);
  } catch {
    positions = [];
  }
  if (positions.length === 0) {
    if (commandFlags(spec, fullName).includes('no_mandatory_keys')) return [];
    throw new CommandError('ERR Invalid arguments specified for command');
  }
  const fallback = spec.flags.includes('write') ? ['RW', 'access', 'update'] : ['RO', 'access'];
  const flagsAt = (p: number) => variableKeyFlags(fullName, target, p) ?? keyFlagsAt(specs, target, p, fallback);
  return positions.map((p) => (withFlags ? [target[p], statusSet(flagsAt(p))] : target[p]));
}

/** COMMAND LIST's FILTERBY test. */
function listFilter(argv: string[]): (spec: CommandSpec, fullName: string) => boolean {
  let filter: (spec: CommandSpec, fullName: string) => boolean = () => true;
  for (let i = 2; i < argv.length; i++) {
    const moreArgs = argv.length - 1 - i;
    if (!isWord(argv[i], 'filterby') || moreArgs !== 2) throw new CommandError('ERR syntax error');
    const type = argv[i + 1];
    const arg = argv[i + 2];
    if (isWord(type, 'module')) {
      filter = () => false; // no modules here
    } else if (isWord(type, 'aclcat')) {
      const cat = `@${arg.toLowerCase()}`;
      filter = (spec, fullName) => aclCategories(spec, fullName).includes(cat);
    } else if (isWord(type, 'pattern')) {
      filter = (_spec, fullName) => globMatch(arg, fullName, true);
    } else {
      throw new CommandError('ERR syntax error');
    }
    i += 2;
  }
  return filter;
}

/** COMMAND's subcommands; COMMAND's own handler routes to them (see ownSubcommands). */
const commandSubcommands: CommandSpec[] = [
  command({
    name: 'docs',
    arity: -2,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Get array of specific Redis command documentation',
    since: '7.0.0',
    handler: (ctx, argv) => {
      if (argv.length === 2) {
        return new MapReply(
          [...ctx.core.commands.values()].map((spec) => [spec.name, commandDocsReply(spec, spec.name)] as [Reply, Reply]),
        );
      }
      const entries: Array<[Reply, Reply]> = [];
      for (const name of argv.slice(2)) {
        const found = findCommand(ctx.core, name);
        if (found) entries.push([found.fullName, commandDocsReply(found.spec, found.fullName)]);
      }
      return new MapReply(entries);
    },
  }),
  command({
    name: 'list',
    arity: -2,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Get an array of Redis command names',
    since: '7.0.0',
    handler: (ctx, argv) => {
      const keep = listFilter(argv);
      return allFullNames(ctx.core)
        .filter(({ spec, fullName }) => keep(spec, fullName))
        .map(({ fullName }) => fullName);
    },
  }),
  command({
    name: 'info',
    arity: -2,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Get array of specific Redis command details, or all when no argument is given.',
    since: '2.8.13',
    handler: (ctx, argv) => {
      if (argv.length === 2) return [...ctx.core.commands.values()].map((spec) => commandInfoReply(spec, spec.name));
      return argv.slice(2).map((name) => {
        const found = findCommand(ctx.core, name);
        return found ? commandInfoReply(found.spec, found.fullName) : null;
      });
    },
  }),
  command({
    name: 'getkeys',
    arity: -4,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Extract keys given a full Redis command',
    since: '2.8.13',
    handler: (ctx, argv) => getKeys(ctx.core, argv, false),
  }),
  command({
    name: 'getkeysandflags',
    arity: -4,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Extract keys and access flags given a full Redis command',
    since: '7.0.0',
    handler: (ctx, argv) => getKeys(ctx.core, argv, true),
  }),
  command({
    name: 'help',
    arity: 2,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Show helpful text about the different subcommands',
    since: '5.0.0',
    handler: (_ctx, argv) =>
      helpReply(argv[0], [
        '(no subcommand)',
        '    Return details about all Redis commands.',
        'COUNT',
        '    Return the total number of commands in this Redis server.',
        'LIST',
        '    Return a list of all commands in this Redis server.',
        'INFO [<command-name> ...]',
        '    Return details about multiple Redis commands.',
        '    If no command names are given, documentation details for all',
        '    commands are returned.',
        'DOCS [<command-name> ...]',
        '    Return documentation details about multiple Redis commands.',
        '    If no command names are given, documentation details for all',
        '    commands are returned.',
        'GETKEYS <full-command>',
        '    Return the keys from a full Redis command.',
        'GETKEYSANDFLAGS <full-command>',
        '    Return the keys and the access flags from a full Redis command.',
      ]),
  }),
  command({
    name: 'count',
    arity: 2,
    group: 'server',
    flags: ['loading', 'stale'],
    summary: 'Get total number of Redis commands',
    since: '2.8.13',
    handler: (ctx) => ctx.core.commands.size,
  }),
];

/** COMMAND [subcommand ...]: introspection of the command table. */
export const commandCommand: CommandSpec = command({
  name: 'command',
  arity: -1,
  group: 'server',
  flags: ['loading', 'stale'],
  summary: 'Get array of Redis command details',
  since: '2.8.13',
  handler: (ctx, argv) => {
    if (argv.length === 1) return [...ctx.core.commands.values()].map((spec) => commandInfoReply(spec, spec.name));
    const sub = commandSubcommands.find((s) => s.name === argv[1].toLowerCase());
    if (!sub) throw new CommandError(unknownSubcommand(argv[1], 'command'));
    if ((sub.arity > 0 && argv.length !== sub.arity) || argv.length < -sub.arity) {
      throw new CommandError(wrongArity(`command|${sub.name}`));
    }
    return sub.handler!(ctx, argv);
  },
});
ownSubcommands.set(commandCommand, commandSubcommands);
