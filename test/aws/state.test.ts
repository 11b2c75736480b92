import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticTagSource } from '#cli/state';
import {
  ARRIVAL_MEMO_MS,
  DUE_KEEP_MS,
  DynamoCarryOverStore,
  DynamoIncidentStore,
  DynamoNonceStore,
  DynamoPreferencesStore,
  DynamoSeenStore,
  DynamoSessionStore,
  DynamoSuppressionStore,
  DynamoTerminationGuard,
  DynamoTranscriptWatch,
  DynamoWindowStore,
  MAX_DUE_IDS,
} from '#shared/aws/state';
import { parseConfig } from '#shared/model/config';
import { classifyRecord, type RecordDeps } from '#shared/pipeline/record';
import { MAX_LOOKBACK_MS } from '#shared/pipeline/silence';
import { createTable, startDynalite } from '../helpers/dynalite';
import {
  incidentContract,
  nonceContract,
  seenContract,
  suppressionContract,
  transcriptWatchContract,
  windowMembersContract,
} from '../helpers/state-contract';
import {
  getAt,
  isIdentityPlant,
  type Json,
  leaks,
  MODES,
  PLANTS,
  plantInto,
  setAt,
  stringPaths,
} from '../session/plants';

let db: Awaited<ReturnType<typeof startDynalite>>;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const opts = () => ({ client: db.client, tableName: db.tableName, now: () => NOW });

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

async function rawItem(pk: string) {
  const out = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: pk } } }));
  return out.Item;
}

describe('DynamoSessionStore', () => {
  it('stores a start record with a TTL and returns it', async () => {
    const store = new DynamoSessionStore(opts());
    const rec = {
      sessionId: 'alice-0123456789abcdef0',
      startTime: '2026-03-01T11:59:00Z',
      target: 'i-0abc',
      principal: { arn: 'arn:aws:iam::111122223333:user/alice', type: 'IAMUser', name: 'alice' },
      sourceIp: '198.51.100.7',
      sessionKind: 'shell',
    };
    await store.put(rec);
    await store.put(rec);
    expect(await store.get(rec.sessionId)).toEqual(rec);
    const item = await rawItem(`session#${rec.sessionId}`);
    expect(Number(item?.expiration?.N)).toBe(NOW / 1000 + 35 * 86_400);
  });

  it('keeps endedAt when the start record arrives after the end', async () => {
    const store = new DynamoSessionStore(opts());
    await store.markEnded('bob-1', '2026-03-01T13:00:00Z');
    expect(await store.get('bob-1')).toEqual({
      sessionId: 'bob-1',
      startTime: '2026-03-01T13:00:00Z',
      endedAt: '2026-03-01T13:00:00Z',
    });
    await store.put({ sessionId: 'bob-1', startTime: '2026-03-01T12:00:00Z', target: 'i-1' });
    expect(await store.get('bob-1')).toEqual({
      sessionId: 'bob-1',
      startTime: '2026-03-01T12:00:00Z',
      target: 'i-1',
      endedAt: '2026-03-01T13:00:00Z',
    });
  });

  it('returns undefined for an unknown session', async () => {
    expect(await new DynamoSessionStore(opts()).get('nobody-1')).toBeUndefined();
  });
});

describe('DynamoWindowStore', () => {
  it('counts distinct events inside the window, across bucket edges, once per event id', async () => {
    const store = new DynamoWindowStore(opts());
    const w = 10 * 60_000;
    const base = 1_000 * w - 60_000; // one minute before a bucket edge
    expect(await store.hit('p1', 'e1', base, w)).toBe(1);
    expect(await store.hit('p1', 'e1', base, w)).toBe(1);
    expect(await store.hit('p1', 'e2', base + 30_000, w)).toBe(2);
    expect(await store.hit('p1', 'e3', base + 120_000, w)).toBe(3);
    // e1 and e2 are now older than the window.
    expect(await store.hit('p1', 'e4', base + w + 31_000, w)).toBe(2);
    expect(await store.hit('p2', 'e1', base, w)).toBe(1);
  });

  it('counts every concurrent hit', async () => {
    const store = new DynamoWindowStore(opts());
    const w = 60_000;
    const t = 5_000 * w + 10;
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.hit('burst', `e${i}`, t, w)));
    expect(await store.hit('burst', 'e0', t, w)).toBe(12);
  });

  it('stops growing a full bucket but still answers', async () => {
    const store = new DynamoWindowStore({ ...opts(), maxSetIds: 3 });
    const w = 60_000;
    const t = 7_000 * w + 10;
    for (let i = 0; i < 5; i++) await store.hit('full', `e${i}`, t, w);
    expect(await store.hit('full', 'e9', t, w)).toBe(3);
  });

  it('count reads the other events of the window and writes nothing', async () => {
    const store = new DynamoWindowStore(opts());
    const w = 10 * 60_000;
    const base = 2_000 * w - 60_000; // one minute before a bucket edge
    expect(await store.count('c1', 'e1', base, w)).toBe(0);
    expect(await store.count('c1', 'e1', base, w)).toBe(0); // nothing was written
    await store.hit('c1', 'e1', base, w);
    await store.hit('c1', 'e2', base + 30_000, w);
    // Across the bucket edge; the event asked about is not counted, re-delivered or not.
    expect(await store.count('c1', 'e3', base + 120_000, w)).toBe(2);
    expect(await store.count('c1', 'e2', base + 120_000, w)).toBe(1);
    // count + 1 is what hit returns for a new event.
    expect(await store.hit('c1', 'e3', base + 120_000, w)).toBe(3);
    expect(await store.count('c1', 'e4', base + w + 31_000, w)).toBe(1);
    expect(await store.count('c2', 'e1', base, w)).toBe(0);
  });
});

/** An empty table of the stack's shape, for stores whose items are global (the sweep cursor, due buckets). */
let tables = 0;
async function freshTable(): Promise<string> {
  const name = `fresh-${++tables}`;
  await createTable(db.client, name);
  return name;
}

async function rawItemIn(tableName: string, pk: string) {
  const out = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } } }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

describe('DynamoWindowStore members (contract)', () => {
  windowMembersContract(async () => new DynamoWindowStore({ ...opts(), tableName: await freshTable() }));
});

describe('DynamoSeenStore (contract)', () => {
  seenContract(async () => new DynamoSeenStore({ ...opts(), tableName: await freshTable() }));
});

describe('DynamoSeenStore', () => {
  it('keeps `last` under seen#<key>, expiring ttlDays from now', async () => {
    const tableName = await freshTable();
    const store = new DynamoSeenStore({ ...opts(), tableName });
    await store.mark('p-hash', NOW - 86_400_000, 30);
    expect(await rawItemIn(tableName, 'seen#p-hash')).toEqual({
      pk: 'seen#p-hash',
      last: NOW - 86_400_000,
      expiration: NOW / 1000 + 30 * 86_400,
    });
  });
});

describe('DynamoTranscriptWatch (contract)', () => {
  transcriptWatchContract(
    async () => new DynamoTranscriptWatch({ ...opts(), tableName: await freshTable() }),
  );
});

describe('DynamoTranscriptWatch', () => {
  const MIN = 60_000;
  const m = 29_500_000;

  it('keeps due buckets as long as the sweep looks back', () => {
    expect(DUE_KEEP_MS).toBe(MAX_LOOKBACK_MS);
  });

  it('item layout: due bucket, transcript and streaming marks with their TTLs', async () => {
    const tableName = await freshTable();
    const watch = new DynamoTranscriptWatch({ ...opts(), tableName });
    const dueMs = m * MIN + 1_234;
    await watch.expect('alice-0a1b', dueMs);
    await watch.arrived('alice-0a1b', NOW - 5_000, { account: '111122223333', region: 'eu-west-1' });
    await watch.advance(m * MIN);
    expect(await rawItemIn(tableName, `due#${m}`)).toEqual({
      pk: `due#${m}`,
      ids: new Set([`alice-0a1b@${dueMs}`]),
      expiration: Math.ceil((dueMs + DUE_KEEP_MS) / 1000) + 86_400,
    });
    expect(await rawItemIn(tableName, 'transcript#alice-0a1b')).toEqual({
      pk: 'transcript#alice-0a1b',
      expiration: NOW / 1000 + 3 * 86_400,
    });
    expect(await rawItemIn(tableName, 'streaming#111122223333#eu-west-1')).toEqual({
      pk: 'streaming#111122223333#eu-west-1',
      last: NOW - 5_000,
      expiration: NOW / 1000 + 8 * 86_400,
    });
    expect(await rawItemIn(tableName, 'sweep#cursor')).toEqual({ pk: 'sweep#cursor', last: m * MIN });
  });

  it('due reads more than 100 buckets (several BatchGetItem calls), in due order', async () => {
    const tableName = await freshTable();
    const watch = new DynamoTranscriptWatch({ ...opts(), tableName });
    const n = 250;
    // Written from the last minute back, so bucket order is not write order.
    for (let i = n - 1; i >= 0; i--) await watch.expect(`s-${i}`, (m + i) * MIN + (i % 60) * 1_000);
    const all = await watch.due(m * MIN, (m + n) * MIN);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => `s-${i}`));
    expect(await watch.due((m + 120) * MIN, (m + 130) * MIN)).toEqual(
      Array.from({ length: 10 }, (_, i) => `s-${120 + i}`),
    );
  });

  it('due reads the widest range it allows (24 h, 1 441 buckets) and refuses a wider one', async () => {
    const tableName = await freshTable();
    const watch = new DynamoTranscriptWatch({ ...opts(), tableName });
    const from = m * MIN + 30_000; // not on a minute edge: the first and last buckets are partial
    const to = from + DUE_KEEP_MS;
    await watch.expect('first', from);
    await watch.expect('before', from - 1);
    await watch.expect('last', to - 1);
    await watch.expect('after', to);
    expect(await watch.due(from, to)).toEqual(['first', 'last']);
    await expect(watch.due(from - 1, to)).rejects.toThrow(RangeError);
  });

  it('retries keys BatchGetItem left unprocessed', async () => {
    const tableName = await freshTable();
    const doc = DynamoDBDocumentClient.from(db.client);
    const send = doc.send.bind(doc) as (c: unknown) => Promise<unknown>;
    let batches = 0;
    const sleeps: number[] = [];
    // The first two BatchGetItem answers process only half of the keys, as DynamoDB may under load.
    (doc as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (cmd: unknown) => {
      if (!(cmd instanceof BatchGetCommand)) return send(cmd);
      batches++;
      const req = cmd.input.RequestItems?.[tableName];
      const keys = req?.Keys ?? [];
      if (batches > 2 || keys.length < 2) return send(cmd);
      const half = Math.ceil(keys.length / 2);
      const out = (await send(
        new BatchGetCommand({ RequestItems: { [tableName]: { ...req, Keys: keys.slice(0, half) } } }),
      )) as { Responses?: unknown };
      return { ...out, UnprocessedKeys: { [tableName]: { ...req, Keys: keys.slice(half) } } };
    };
    const watch = new DynamoTranscriptWatch({
      client: doc,
      tableName,
      now: () => NOW,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });
    for (let i = 0; i < 8; i++) await watch.expect(`u-${i}`, (m + i) * MIN);
    expect(await watch.due(m * MIN, (m + 8) * MIN)).toEqual(Array.from({ length: 8 }, (_, i) => `u-${i}`));
    expect(batches).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('fails the call when keys stay unprocessed (the sweep then keeps its cursor)', async () => {
    const tableName = await freshTable();
    const doc = DynamoDBDocumentClient.from(db.client);
    const send = doc.send.bind(doc) as (c: unknown) => Promise<unknown>;
    (doc as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (cmd: unknown) =>
      cmd instanceof BatchGetCommand ? { Responses: {}, UnprocessedKeys: cmd.input.RequestItems } : send(cmd);
    const watch = new DynamoTranscriptWatch({
      client: doc,
      tableName,
      now: () => NOW,
      sleep: async () => {},
    });
    await expect(watch.due(m * MIN, (m + 3) * MIN)).rejects.toThrow(/unprocessed/);
  });

  it('drops an expectation past the bucket cap and counts it', async () => {
    const tableName = await freshTable();
    const dropped: string[] = [];
    const watch = new DynamoTranscriptWatch({
      ...opts(),
      tableName,
      maxSetIds: 3,
      onDropped: (why) => dropped.push(why),
    });
    for (let i = 0; i < 3; i++) await watch.expect(`f-${i}`, m * MIN + i);
    await watch.expect('f-0', m * MIN); // already kept: a re-delivery is not a drop
    await watch.expect('f-3', m * MIN + 3);
    await watch.expect('x'.repeat(129), m * MIN + 4);
    await watch.expect('f-4', Number.NaN);
    expect(dropped).toEqual(['bucket-full', 'id-too-long', 'bad-time']);
    expect(await watch.due(m * MIN, (m + 1) * MIN)).toEqual(['f-0', 'f-1', 'f-2']);
    expect((await rawItemIn(tableName, `due#${m}`))?.dropped).toBe(1);
    expect(MAX_DUE_IDS * (128 + 1 + 17)).toBeLessThan(350_000);
  });

  it('an instance re-writes a streaming mark only after ARRIVAL_MEMO_MS', async () => {
    const tableName = await freshTable();
    let now = NOW;
    const watch = new DynamoTranscriptWatch({ ...opts(), tableName, now: () => now });
    const scope = { account: '111122223333', region: 'eu-west-1' };
    const last = async () => (await rawItemIn(tableName, 'streaming#111122223333#eu-west-1'))?.last;
    await watch.arrived('s-1', NOW, scope);
    now += ARRIVAL_MEMO_MS - 1;
    await watch.arrived('s-1', NOW + 60_000, scope);
    expect(await last()).toBe(NOW); // skipped: written moments ago
    await watch.arrived('s-2', NOW + 60_000, scope);
    expect(await watch.transcriptSeen('s-2')).toBe(true); // another session's mark is written
    now += 1;
    await watch.arrived('s-1', NOW + 120_000, scope);
    expect(await last()).toBe(NOW + 120_000);
    // Another instance (another Lambda container) has its own memo.
    await new DynamoTranscriptWatch({ ...opts(), tableName }).arrived('s-3', NOW + 180_000, scope);
    expect(await last()).toBe(NOW + 180_000);
  });
});

describe('DynamoCarryOverStore', () => {
  it('round-trips JSON state with a TTL', async () => {
    const store = new DynamoCarryOverStore<{ nextLine: number; tail: string }>(opts());
    expect(await store.get('s-1')).toBeUndefined();
    await store.put('s-1', { nextLine: 42, tail: 'partial line ü' });
    expect(await store.get('s-1')).toEqual({ nextLine: 42, tail: 'partial line ü' });
    const item = await rawItem('carry#s-1');
    expect(Number(item?.expiration?.N)).toBe(NOW / 1000 + 2 * 86_400);
  });

  it('compresses large states and drops one that cannot fit an item', async () => {
    const dropped: Array<[string, number]> = [];
    const store = new DynamoCarryOverStore<{ tail: string }>({
      ...opts(),
      onOversize: (id, bytes) => dropped.push([id, bytes]),
    });
    await store.put('s-2', { tail: 'x'.repeat(1_000_000) });
    expect(await store.get('s-2')).toEqual({ tail: 'x'.repeat(1_000_000) });
    // Random text does not compress: over the limit it is dropped, never a failed write.
    await store.put('s-2', { tail: randomBytes(500_000).toString('base64') });
    expect(await store.get('s-2')).toBeUndefined();
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.[0]).toBe('s-2');
    expect(dropped[0]?.[1]).toBeGreaterThan(350_000);
  });
});

describe('DynamoPreferencesStore', () => {
  it('round-trips preferences', async () => {
    const store = new DynamoPreferencesStore(opts());
    expect(await store.get('SSM-SessionManagerRunShell')).toBeUndefined();
    const prefs = { cloudWatchLogGroupName: 'ssm-sessions', cloudWatchStreamingEnabled: true, kmsKeyId: '' };
    await store.put('SSM-SessionManagerRunShell', prefs);
    expect(await store.get('SSM-SessionManagerRunShell')).toEqual(prefs);
  });
});

describe('DynamoIncidentStore (contract)', () => {
  incidentContract(async () => new DynamoIncidentStore({ ...opts(), tableName: await freshTable() }));
});

describe('DynamoSuppressionStore (contract)', () => {
  suppressionContract(async () => new DynamoSuppressionStore({ ...opts(), tableName: await freshTable() }));
});

describe('DynamoNonceStore (contract)', () => {
  nonceContract(async () => new DynamoNonceStore({ ...opts(), tableName: await freshTable() }));
});

describe('DynamoIncidentStore', () => {
  const input = (id: string, nowMs = NOW) => ({
    key: 'session\u0000alice-0123456789abcdef0',
    scope: 'session' as const,
    subject: { scope: 'session' as const, sessionId: 'alice-0123456789abcdef0', category: 'secret' as const },
    finding: {
      id,
      ruleId: 'secret-aws-access-key',
      severity: 'HIGH' as const,
      excerpt: 'AKIA************MPLE',
    },
    nowMs,
    windowMs: 15 * 60_000,
  });

  it('keys items on a hash of the incident, with a TTL', async () => {
    const tableName = await freshTable();
    const store = new DynamoIncidentStore({ ...opts(), tableName });
    await store.record(input('f1'));
    const items = await db.client.send(new ScanCommand({ TableName: tableName }));
    const pks = (items.Items ?? []).map((i) => i.pk?.S ?? '');
    expect(pks.some((pk) => /^inc#[0-9a-f]{32}$/.test(pk))).toBe(true);
    expect(pks.some((pk) => /^incw#[0-9a-f]{32}#1$/.test(pk))).toBe(true);
    expect(pks.some((pk) => /^idue#\d+$/.test(pk))).toBe(true);
    for (const pk of pks) expect(pk).not.toContain('alice');
    const inc = (items.Items ?? []).find((i) => i.pk?.S?.startsWith('inc#'));
    expect(Number(inc?.expiration?.N)).toBe(NOW / 1000 + 7 * 86_400);
  });

  it('counts past the id cap without de-dup, and the claim still adds them up', async () => {
    const store = new DynamoIncidentStore({ ...opts(), tableName: await freshTable(), maxSetIds: 5 });
    for (let i = 0; i < 8; i++) await store.record(input(`f${i}`));
    const [due] = await store.due(NOW, NOW + 16 * 60_000);
    const claim = await store.claim(due!.key, 1, NOW + 15 * 60_000, NOW + 17 * 60_000);
    if (claim.status !== 'claimed') throw new Error(claim.status);
    expect(claim.window.counts).toEqual([{ ruleId: 'secret-aws-access-key', severity: 'HIGH', count: 8 }]);
  });

  it('reports a full due bucket instead of failing the finding', async () => {
    let dropped = 0;
    const store = new DynamoIncidentStore({
      ...opts(),
      tableName: await freshTable(),
      maxSetIds: 2,
      onDropped: () => {
        dropped++;
      },
    });
    for (const session of ['s-1', 's-2', 's-3'])
      expect((await store.record({ ...input('f1'), key: session })).immediate).toBe('opened');
    expect(dropped).toBe(1);
    expect(await store.due(NOW, NOW + 16 * 60_000)).toHaveLength(2);
  });
});

describe('DynamoTerminationGuard', () => {
  it('claims a session once even when raced', async () => {
    const guard = new DynamoTerminationGuard(opts());
    const results = await Promise.all(
      Array.from({ length: 6 }, () => guard.claim('s-race', '2026-03-01T12', 5)),
    );
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(5);
  });

  it('admits at most maxPerHour sessions per hour and releases capped claims', async () => {
    const guard = new DynamoTerminationGuard(opts());
    const hour = '2026-03-01T13';
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => guard.claim(`s-cap-${i}`, hour, 2)),
    );
    expect(results.filter((r) => r === 'claimed')).toHaveLength(2);
    expect(results.filter((r) => r === 'capped')).toHaveLength(3);
    const capped = results.indexOf('capped');
    expect(await guard.claim(`s-cap-${capped}`, '2026-03-01T14', 2)).toBe('claimed');
    expect(await guard.claim('s-zero', hour, 0)).toBe('capped');
  });

  it('release gives the claim back', async () => {
    const guard = new DynamoTerminationGuard(opts());
    expect(await guard.claim('s-rel', '2026-03-01T15', 5)).toBe('claimed');
    await guard.release('s-rel');
    expect(await guard.claim('s-rel', '2026-03-01T15', 5)).toBe('claimed');
  });
});

describe('no planted value in DynamoDB items, findings or errors', () => {
  const fixture = (rule: string, n = 0) =>
    (
      JSON.parse(
        readFileSync(join(import.meta.dirname, `../../shared/rules/examples/${rule}.json`), 'utf8'),
      ) as {
        examples: Array<{ record: Json; facts?: Json; previous?: Json[] }>;
      }
    ).examples[n]!;
  const remote = fixture('session-port-forward-remote-host').record;
  const start = {
    ...remote,
    requestParameters: { ...(remote.requestParameters as Json), reason: 'OPS-1234 routine maintenance' },
  };
  const prefs = fixture('session-preferences-protection-disabled');
  const prefsFacts = prefs.facts as { preferences: { stored: Json; current: Json } };
  const resume = fixture('session-resumed-new-ip');
  const denied = fixture('session-access-denied').record;
  const terminate = {
    ...denied,
    eventName: 'TerminateSession',
    errorCode: undefined,
    requestParameters: { sessionId: 'mallory-0a1b2c3d4e5f67890' },
  };
  /** A shell start (no document): it also waits for its transcript (a due bucket). */
  const shell = {
    ...start,
    requestParameters: { target: 'i-0e57975fb4405c6a9', reason: 'OPS-1234 routine maintenance' },
  };
  /** One of each path that writes state: start (session + reason, first seen, fan-out), shell start (due bucket), resume (reads it), denied (window), preferences, terminate. */
  const scenarios: Array<{ name: string; record: Json; previous?: Json[] }> = [
    { name: 'start', record: withErrorMessage(start) },
    { name: 'shell', record: shell },
    { name: 'resume', record: resume.record, previous: resume.previous },
    { name: 'denied', record: withErrorMessage(denied) },
    { name: 'preferences', record: prefs.record },
    { name: 'terminate', record: terminate },
  ];

  function withErrorMessage(r: Json): Json {
    return {
      ...r,
      errorMessage: 'User: arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory is not authorized',
    };
  }

  async function context(table: string, current: Json, seedPreferences = true): Promise<RecordDeps> {
    const o = { client: db.client, tableName: table, now: () => NOW };
    const store = new DynamoPreferencesStore(o);
    if (seedPreferences) await store.put('SSM-SessionManagerRunShell', prefsFacts.preferences.stored);
    return {
      ctx: { config: parseConfig({ requireReasonOnProduction: true, trustedCidrs: ['10.0.0.0/8'] }) },
      sessions: new DynamoSessionStore(o),
      windows: new DynamoWindowStore(o),
      seen: new DynamoSeenStore(o),
      watch: new DynamoTranscriptWatch(o),
      tags: new StaticTagSource({ 'i-0e57975fb4405c6a9': { Environment: 'prod' } }),
      preferences: { source: { current: async () => current }, store },
    };
  }

  /** Every item of the table as JSON text (string sets as arrays), following scan pages. */
  async function items(table: string): Promise<string[]> {
    const replacer = (_: string, v: unknown) => (v instanceof Set ? [...v] : v);
    const out: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await db.client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const i of page.Items ?? []) out.push(JSON.stringify(unmarshall(i), replacer));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(out.length).toBeGreaterThan(0);
    return out;
  }

  it('every string member of each scenario, plants rotating, and the preferences document', async () => {
    const name = 'planted';
    await createTable(db.client, name);
    const failures: string[] = [];
    let runs = 0;
    for (const sc of scenarios) {
      for (const [pi, path] of stringPaths(sc.record).entries()) {
        // One plant per member, rotating over members and scenarios so every plant meets every scenario.
        const plant = PLANTS[(pi + runs) % PLANTS.length]!;
        const mode = MODES[pi % MODES.length]!;
        // The preferences document GetDocument returns carries the plant in every value and a key.
        const current = Object.fromEntries(
          Object.entries(prefsFacts.preferences.current).map(([key, v]) => [
            key,
            typeof v === 'string' ? plant.text : v,
          ]),
        );
        const ctx = await context(
          name,
          { ...current, [`x-${plant.text}`]: plant.text },
          sc.name === 'preferences',
        );
        for (const prev of sc.previous ?? []) await classifyRecord(prev, ctx);
        const value = plantInto(String(getAt(sc.record, path)), plant.text, mode);
        const r = await classifyRecord(setAt(sc.record, path, value), ctx);
        runs++;
        // An e-mail naming the actor is shown and stored as the principal (test/session/plants.ts).
        if (isIdentityPlant(plant, path)) continue;
        const where = `${sc.name} ${path.join('.')} ${plant.kind}/${mode}`;
        for (const n of leaks(plant, `${JSON.stringify(r.findings)}\n${r.error ?? ''}`))
          failures.push(`${where}: finding or error holds ${n}`);
        // After every case: later cases overwrite the same keys (one session id per scenario).
        for (const item of await items(name))
          for (const n of leaks(plant, item)) failures.push(`${where}: item ${item.slice(0, 60)} holds ${n}`);
      }
    }
    expect(runs).toBeGreaterThan(150);
    expect(failures).toEqual([]);
    // The new kinds of items were written, so the check above covered them.
    const kinds = new Set((await items(name)).map((i) => (JSON.parse(i) as { pk: string }).pk.split('#')[0]));
    for (const kind of ['session', 'window', 'seen', 'due']) expect(kinds).toContain(kind);
  });

  it('the session item keeps a summary of the reason, not its text', async () => {
    const o = { client: db.client, tableName: db.tableName, now: () => NOW };
    const ctx = {
      ...(await context(db.tableName, prefsFacts.preferences.current)),
      sessions: new DynamoSessionStore(o),
    };
    const reason = 'OPS-1234 for jane.doe@example.org, card 4111 1111 1111 1111';
    const record = setAt(start, ['requestParameters', 'reason'], reason);
    await classifyRecord(record, ctx);
    const sessionId = getAt(start, ['responseElements', 'sessionId']) as string;
    const item = unmarshall((await rawItem(`session#${sessionId}`))!);
    expect(item.rec.reason).toEqual({
      length: reason.length,
      excerpt: 'OPS-1234 for j***@e***.org, card 4111 **** **** 1111',
    });
    expect(JSON.stringify(item)).not.toContain('jane.doe');
  });
});
