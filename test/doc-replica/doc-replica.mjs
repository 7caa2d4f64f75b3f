// A minimal replica written only from PROTOCOL.md: handshake, PSYNC, RDB loading, stream apply, ACKs.
// Strings (keys, values) are kept as latin1 strings so that every byte maps to one char.
import WebSocket from 'ws';

const NEED_MORE = Symbol('need more bytes');
const CRLF = Buffer.from('\r\n');

/** Encodes a command as a RESP array of bulk strings. */
function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** LZF decompression (liblzf format, as used by Redis). */
function lzfDecompress(input, outLen) {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      input.copy(out, op, ip, ip + ctrl + 1); // literal run of ctrl+1 bytes
      ip += ctrl + 1;
      op += ctrl + 1;
    } else {
      let len = ctrl >> 5;
      if (len === 7) len += input[ip++];
      let ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
      for (let i = 0; i < len + 2; i++) out[op++] = out[ref++]; // back reference (may overlap)
    }
  }
  if (op !== outLen) throw new Error(`LZF: expected ${outLen} bytes, got ${op}`);
  return out;
}

/** Reads RDB primitives from a buffer; throws NEED_MORE when it runs past the end. */
class RdbReader {
  constructor(buf, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }
  take(n) {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  byte() {
    return this.take(1)[0];
  }
  /** Returns {len} or {special} (the low 6 bits of an `11` encoding byte). */
  lengthOrSpecial() {
    const b = this.byte();
    const kind = b >> 6;
    if (kind === 0) return { len: b & 0x3f };
    if (kind === 1) return { len: ((b & 0x3f) << 8) | this.byte() };
    if (kind === 3) return { special: b & 0x3f };
    if (b === 0x80) return { len: this.take(4).readUInt32BE(0) };
    if (b === 0x81) return { len: Number(this.take(8).readBigUInt64BE(0)) };
    throw new Error(`RDB: bad length byte 0x${b.toString(16)}`);
  }
  length() {
    const l = this.lengthOrSpecial();
    if (l.len === undefined) throw new Error('RDB: expected a length, got a string encoding');
    return l.len;
  }
  string() {
    const l = this.lengthOrSpecial();
    if (l.len !== undefined) return this.take(l.len).toString('latin1');
    switch (l.special) {
      case 0: return String(this.take(1).readInt8(0));
      case 1: return String(this.take(2).readInt16LE(0));
      case 2: return String(this.take(4).readInt32LE(0));
      case 3: {
        const clen = this.length();
        const ulen = this.length();
        return lzfDecompress(this.take(clen), ulen).toString('latin1');
      }
      default: throw new Error(`RDB: unknown string encoding ${l.special}`);
    }
  }
}

/** Parses a whole RDB starting at `pos`; returns {dbs, expires, aux, end} or throws NEED_MORE. */
function parseRdb(buf, pos) {
  const r = new RdbReader(buf, pos);
  const magic = r.take(9).toString('latin1');
  if (!/^REDIS\d{4}$/.test(magic)) throw new Error(`RDB: bad magic ${JSON.stringify(magic)}`);
  const dbs = new Map();
  const expires = new Map();
  const aux = {};
  let db = 0;
  let expireAt;
  const dbMap = (m, n) => (m.has(n) ? m.get(n) : m.set(n, new Map()).get(n));
  for (;;) {
    const op = r.byte();
    if (op === 0xff) {
      r.take(8); // CRC-64 (not verified here)
      return { dbs, expires, aux, end: r.pos };
    } else if (op === 0xfa) {
      const k = r.string();
      aux[k] = r.string();
    } else if (op === 0xfe) {
      db = r.length();
      dbMap(dbs, db);
    } else if (op === 0xfb) {
      r.length();
      r.length();
    } else if (op === 0xfc) {
      expireAt = Number(r.take(8).readBigInt64LE(0));
    } else {
      const key = r.string();
      let value;
      if (op === 0) value = r.string();
      else if (op === 1) value = Array.from({ length: r.length() }, () => r.string());
      else if (op === 2) value = Array.from({ length: r.length() }, () => r.string()).sort(cmpBytes);
      else if (op === 4) {
        value = {};
        for (let n = r.length(); n > 0; n--) {
          const f = r.string();
          value[f] = r.string();
        }
      } else if (op === 5) {
        value = [];
        for (let n = r.length(); n > 0; n--) {
          const m = r.string();
          value.push([m, r.take(8).readDoubleLE(0)]);
        }
        sortZset(value);
      } else throw new Error(`RDB: unsupported type/opcode ${op}`);
      dbMap(dbs, db).set(key, value);
      if (expireAt !== undefined) dbMap(expires, db).set(key, expireAt);
      expireAt = undefined;
    }
  }
}

const cmpBytes = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // latin1 strings compare as bytes
const sortZset = (z) => z.sort((a, b) => a[1] - b[1] || cmpBytes(a[0], b[0]));
const parseScore = (s) => {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  return Number(s);
};

export class DocReplica {
  constructor(url, { password } = {}) {
    this.url = url;
    this.password = password;
    this.replid = '?';
    this.offset = -1; // applied offset; -1 = no data yet
    this.lastSync = undefined;
    this.bytesReceived = 0;
    this.data = new Map(); // db number -> Map(key -> value)
    this.expires = new Map(); // db number -> Map(key -> absolute unix ms)
    this.db = 0; // selected db of the stream (kept across a +CONTINUE, like Redis's cached master)
    this.ws = undefined;
  }

  dbMap(n, m = this.data) {
    if (!m.has(n)) m.set(n, new Map());
    return m.get(n);
  }

  /** Connects, handshakes and resolves once the sync (full or partial) is established. */
  connect() {
    this.buf = Buffer.alloc(0);
    this.state = 'handshake';
    this.replies = [];
    this.multi = undefined;
    this.multiBytes = 0;
    return new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onFail = (err) => {
        this.close();
        reject(err);
      };
      const ws = (this.ws = new WebSocket(this.url));
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => {
        const cmds = [['PING']];
        if (this.password) cmds.push(['AUTH', this.password]);
        cmds.push(['REPLCONF', 'listening-port', '0'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
        cmds.push(['PSYNC', this.replid, this.offset < 0 ? -1 : this.offset + 1]);
        this.expected = cmds.length;
        ws.send(Buffer.concat(cmds.map(encode)));
      });
      ws.on('message', (d) => {
        this.bytesReceived += d.length;
        this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
        try {
          this.process();
        } catch (e) {
          this.onFail(e);
        }
      });
      ws.on('error', (e) => this.onFail(e));
      ws.on('close', () => {
        this.stopAcks();
        if (this.state !== 'stream') reject(new Error(`connection closed during ${this.state}`));
      });
    });
  }

  /** Drops the socket; replid/offset/data stay for a later connect(). */
  close() {
    this.stopAcks();
    if (this.ws) this.ws.terminate();
    this.ws = undefined;
    this.state = 'closed';
  }

  stopAcks() {
    clearInterval(this.ackTimer);
    this.ackTimer = undefined;
  }

  sendAck() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(encode(['REPLCONF', 'ACK', this.offset]));
  }

  /** Reads one CRLF-terminated line (skipping lone "\n" keepalives), or undefined if incomplete. */
  line() {
    while (this.buf.length && this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
    const i = this.buf.indexOf(CRLF);
    if (i < 0) return undefined;
    const l = this.buf.subarray(0, i).toString('latin1');
    this.buf = this.buf.subarray(i + 2);
    return l;
  }

  process() {
    while (this.state === 'handshake') {
      const l = this.line();
      if (l === undefined) return;
      if (--this.expected > 0) {
        if (l[0] !== '+' && !l.startsWith('-NOAUTH')) throw new Error(`handshake: ${l}`);
        continue;
      }
      const [word, id, off] = l.split(' ');
      if (word === '+FULLRESYNC') {
        this.pending = { replid: id, offset: Number(off) };
        this.state = 'snapshot-header';
      } else if (word === '+CONTINUE') {
        if (id) this.replid = id;
        this.lastSync = 'partial';
        this.startStream();
      } else throw new Error(`PSYNC: ${l}`);
    }
    if (this.state === 'snapshot-header') {
      const l = this.line();
      if (l === undefined) return;
      if (l.startsWith('$EOF:')) this.snapshot = { mark: Buffer.from(l.slice(5), 'latin1') };
      else if (l[0] === '$') this.snapshot = { length: Number(l.slice(1)) };
      else throw new Error(`snapshot header: ${l}`);
      this.state = 'snapshot';
    }
    if (this.state === 'snapshot') {
      const s = this.snapshot;
      if (s.length !== undefined && this.buf.length < s.length) return;
      let rdb;
      try {
        rdb = parseRdb(this.buf, 0);
      } catch (e) {
        if (e === NEED_MORE) return; // re-parse when more bytes arrive
        throw e;
      }
      let end = rdb.end;
      if (s.mark) {
        if (this.buf.length < end + s.mark.length) return;
        if (!this.buf.subarray(end, end + s.mark.length).equals(s.mark)) throw new Error('EOF mark mismatch');
        end += s.mark.length;
      } else if (end !== s.length) throw new Error(`RDB ended at ${end}, framing said ${s.length}`);
      this.buf = this.buf.subarray(end);
      this.data = rdb.dbs;
      this.expires = rdb.expires;
      this.db = Number(rdb.aux['repl-stream-db'] ?? 0);
      this.replid = this.pending.replid;
      this.offset = this.pending.offset;
      this.lastSync = 'full';
      this.startStream();
      this.sendAck(); // the master waits for this before streaming
    }
    if (this.state === 'stream') this.processStream();
  }

  startStream() {
    this.state = 'stream';
    this.stopAcks();
    this.ackTimer = setInterval(() => this.sendAck(), 1000);
    this.ackTimer.unref?.();
    this.onReady();
  }

  /** Parses one RESP array of bulk strings at the buffer start: {args, size} or undefined. */
  command() {
    const b = this.buf;
    let p = 0;
    const readLine = () => {
      const i = b.indexOf(CRLF, p);
      if (i < 0) return undefined;
      const l = b.subarray(p, i).toString('latin1');
      p = i + 2;
      return l;
    };
    const head = readLine();
    if (head === undefined) return undefined;
    if (head[0] !== '*') throw new Error(`stream: expected an array, got ${JSON.stringify(head)}`);
    const args = [];
    for (let n = Number(head.slice(1)); n > 0; n--) {
      const h = readLine();
      if (h === undefined) return undefined;
      if (h[0] !== '$') throw new Error(`stream: expected a bulk string, got ${JSON.stringify(h)}`);
      const len = Number(h.slice(1));
      if (b.length < p + len + 2) return undefined;
      args.push(b.subarray(p, p + len).toString('latin1'));
      p += len + 2;
    }
    return { args, size: p };
  }

  processStream() {
    for (;;) {
      const c = this.command();
      if (!c) return;
      this.buf = this.buf.subarray(c.size);
      const name = c.args[0].toUpperCase();
      if (this.multi) {
        this.multiBytes += c.size;
        if (name === 'EXEC') {
          for (const q of this.multi) this.apply(q);
          this.offset += this.multiBytes;
          this.multi = undefined;
        } else this.multi.push(c.args);
        continue;
      }
      if (name === 'MULTI') {
        this.multi = [];
        this.multiBytes = c.size;
        continue;
      }
      this.apply(c.args);
      this.offset += c.size;
      if (name === 'REPLCONF' && String(c.args[1]).toUpperCase() === 'GETACK') this.sendAck();
    }
  }

  /** Applies one write command to the keyspace. */
  apply([cmd, ...a]) {
    const db = this.dbMap(this.db);
    const exp = this.dbMap(this.db, this.expires);
    const del = (k) => (db.delete(k), exp.delete(k));
    const dropIfEmpty = (k, v) => {
      if ((Array.isArray(v) ? v.length : Object.keys(v).length) === 0) del(k);
    };
    const get = (k, init) => {
      if (!db.has(k)) db.set(k, init());
      return db.get(k);
    };
    switch (cmd.toUpperCase()) {
      case 'SELECT': this.db = Number(a[0]); break;
      case 'SET': {
        const [k, v, ...opts] = a;
        const up = opts.map((o) => o.toUpperCase());
        if ((up.includes('NX') && db.has(k)) || (up.includes('XX') && !db.has(k))) break;
        db.set(k, v);
        const i = up.indexOf('PXAT');
        if (i >= 0) exp.set(k, Number(opts[i + 1]));
        else if (!up.includes('KEEPTTL')) exp.delete(k);
        break;
      }
      case 'DEL': case 'UNLINK': a.forEach(del); break;
      case 'INCR': case 'INCRBY': case 'DECR': case 'DECRBY': {
        const by = cmd.length > 4 ? BigInt(a[1]) : 1n;
        const sign = cmd.toUpperCase().startsWith('DECR') ? -1n : 1n;
        db.set(a[0], String(BigInt(db.get(a[0]) ?? '0') + sign * by));
        break;
      }
      case 'APPEND': db.set(a[0], (db.get(a[0]) ?? '') + a[1]); break;
      case 'RPUSH': get(a[0], () => []).push(...a.slice(1)); break;
      case 'LPUSH': { const l = get(a[0], () => []); for (const v of a.slice(1)) l.unshift(v); break; }
      case 'LPOP': case 'RPOP': {
        const l = db.get(a[0]);
        if (!l) break;
        const n = a[1] === undefined ? 1 : Number(a[1]);
        if (cmd.toUpperCase() === 'LPOP') l.splice(0, n);
        else l.splice(Math.max(0, l.length - n), n);
        dropIfEmpty(a[0], l);
        break;
      }
      case 'HSET': case 'HMSET': { const h = get(a[0], () => ({})); for (let i = 1; i + 1 < a.length; i += 2) h[a[i]] = a[i + 1]; break; }
      case 'HDEL': { const h = db.get(a[0]); if (!h) break; for (const f of a.slice(1)) delete h[f]; dropIfEmpty(a[0], h); break; }
      case 'SADD': { const s = get(a[0], () => []); db.set(a[0], [...new Set([...s, ...a.slice(1)])].sort(cmpBytes)); break; }
      case 'SREM': { const s = db.get(a[0]); if (!s) break; const rm = new Set(a.slice(1)); const n = s.filter((m) => !rm.has(m)); db.set(a[0], n); dropIfEmpty(a[0], n); break; }
      case 'ZADD': {
        let i = 1;
        const flags = new Set();
        while (i < a.length && ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'].includes(a[i].toUpperCase())) flags.add(a[i++].toUpperCase());
        const z = get(a[0], () => []);
        for (; i + 1 < a.length; i += 2) {
          const score = parseScore(a[i]);
          const m = a[i + 1];
          const e = z.find((p) => p[0] === m);
          if (e ? flags.has('NX') : flags.has('XX')) continue;
          const s = flags.has('INCR') && e ? e[1] + score : score;
          if (e && ((flags.has('GT') && !(s > e[1])) || (flags.has('LT') && !(s < e[1])))) continue;
          if (e) e[1] = s;
          else z.push([m, s]);
        }
        sortZset(z);
        dropIfEmpty(a[0], z);
        break;
      }
      case 'PEXPIREAT': if (db.has(a[0])) exp.set(a[0], Number(a[1])); break;
      case 'PERSIST': exp.delete(a[0]); break;
      case 'FLUSHALL': this.data = new Map(); this.expires = new Map(); break;
      case 'FLUSHDB': db.clear(); exp.clear(); break;
      default: break; // PING, REPLCONF and anything unknown: only the offset moves
    }
  }
}
