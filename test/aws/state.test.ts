import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoAggregationStore,
  DynamoCarryOverStore,
  DynamoPreferencesStore,
  DynamoSessionStore,
  DynamoTerminationGuard,
  DynamoWindowStore,
} from '../../shared/aws/state';
import { startDynalite } from '../helpers/dynalite';

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

describe('DynamoAggregationStore', () => {
  it('tells exactly one of N concurrent callers first', async () => {
    const store = new DynamoAggregationStore(opts());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.record('s#rule', `f${i}`)));
    expect(results.filter((r) => r.first)).toHaveLength(1);
    const again = await store.record('s#rule', 'f10');
    expect(again).toEqual({ first: false, count: 11 });
  });

  it('counts a re-delivered finding id once, also when concurrent', async () => {
    const store = new DynamoAggregationStore(opts());
    const results = await Promise.all(Array.from({ length: 5 }, () => store.record('s#dup', 'same')));
    expect(results.filter((r) => r.first)).toHaveLength(1);
    expect(results.every((r) => r.count === 1)).toBe(true);
    expect(await store.record('s#dup', 'same')).toEqual({ first: false, count: 1 });
    const item = await rawItem('agg#s#dup');
    expect(Number(item?.expiration?.N)).toBe(NOW / 1000 + 7 * 86_400);
  });

  it('keeps counting past the id cap', async () => {
    const store = new DynamoAggregationStore({ ...opts(), maxSetIds: 20 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.record('s#big', `id-${i}`)));
    expect(await store.record('s#big', 'id-3')).toEqual({ first: false, count: 20 });
    expect(await store.record('s#big', 'extra-1')).toEqual({ first: false, count: 21 });
    expect(await store.record('s#big', 'extra-2')).toEqual({ first: false, count: 22 });
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
