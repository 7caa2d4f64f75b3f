import { openReplica, type Replica, type ReplicaStatus } from '../index.js';

/**
 * The demo: a replica of the master named in `?url=` (default ws://127.0.0.1:7379/), showing every key live,
 * the link status and lag, and a box to send commands to the master. Stop the master and reload: the keys are
 * still there, read from IndexedDB.
 */

const params = new URLSearchParams(location.search);
const url = params.get('url') ?? 'ws://127.0.0.1:7379/';
const name = params.get('name') ?? 'demo';
const MAX_ROWS = 200;

const $ = (id: string) => document.getElementById(id)!;

function shortValue(r: Replica, key: string, type: string): string {
  switch (type) {
    case 'string':
      return r.get(key) ?? '';
    case 'hash':
      return JSON.stringify(r.hgetall(key));
    case 'list':
      return JSON.stringify(r.lrange(key, 0, 9)) + (r.llen(key) > 10 ? ' …' : '');
    case 'set':
      return JSON.stringify(r.smembers(key).sort().slice(0, 10));
    case 'zset':
      return JSON.stringify(r.zrangeWithScores(key, 0, 9));
    default:
      return '';
  }
}

function renderStatus(s: ReplicaStatus): void {
  const link = $('link');
  link.textContent = s.link;
  link.className = `link-${s.link}`;
  $('role').textContent = s.role === 'leader' ? 'holds the link' : 'follows another tab';
  $('replid').textContent = s.replid ?? '(none yet)';
  $('offset').textContent = String(s.offset);
  $('persisted').textContent = s.persistedOffset === null ? '—' : String(s.persistedOffset);
  $('lag').textContent = s.lagBytes === null ? '—' : `${s.lagBytes} bytes`;
  $('lastio').textContent = s.lastIoSeconds === null ? '—' : `${s.lastIoSeconds} s ago`;
  $('sync').textContent = s.sync
    ? `${s.sync.receivedBytes}${s.sync.totalBytes === null ? '' : ` / ${s.sync.totalBytes}`} bytes`
    : '—';
  $('storage').textContent = `${s.storage}${s.storagePersistent ? ' (persistent)' : ''}${s.storageError ? ` — ${s.storageError}` : ''}`;
  $('error').textContent = s.lastError ?? '';
}

function renderKeys(r: Replica, changed: Set<string> | null): void {
  const match = ($('match') as HTMLInputElement).value || '*';
  const keys = r.keys(match).sort();
  const body = $('keys');
  body.replaceChildren(
    ...keys.slice(0, MAX_ROWS).map((key) => {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      if (changed?.has(key)) tr.className = 'flash';
      const type = r.type(key);
      const ttl = r.pttl(key);
      for (const text of [key, type, shortValue(r, key, type), ttl < 0 ? '' : `${Math.ceil(ttl / 1000)} s`]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  $('count').textContent = `${keys.length} key${keys.length === 1 ? '' : 's'}${keys.length > MAX_ROWS ? ` (first ${MAX_ROWS} shown)` : ''}`;
}

async function main(): Promise<void> {
  $('url').textContent = url;
  const r = await openReplica({ url, name });
  (window as unknown as { replica: Replica }).replica = r;
  renderStatus(r.status());
  r.onStatus(renderStatus);

  // Re-render at most once a frame, flashing the rows that changed.
  let pending: Set<string> | null = new Set();
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const changed = pending;
      pending = new Set();
      renderKeys(r, changed);
    });
  };
  r.subscribe('*', (key) => {
    if (key === null) pending = null;
    else pending?.add(key);
    schedule();
  });
  renderKeys(r, null);
  // TTLs count down without any change being replicated.
  setInterval(schedule, 1000);

  $('filter').addEventListener('submit', (e) => {
    e.preventDefault();
    renderKeys(r, null);
  });
  $('command').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('command-text') as HTMLInputElement;
    const args = input.value.trim().split(/\s+/).filter(Boolean);
    if (args.length === 0) return;
    try {
      $('reply').textContent = JSON.stringify(await r.command(args), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      input.value = '';
    } catch (err) {
      $('reply').textContent = String((err as Error).message);
    }
  });
  (window as unknown as { demoReady: boolean }).demoReady = true;
}

void main();
