import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ConfigInput } from '#shared/model/config';
import { SESSION_RULES } from '#shared/rules/session-rules';
import { examplesOf } from '#shared/session/families';
import { pathText, stringPaths, withAt } from './json-paths';
import { type PlantMode, plantInto } from './plant';

/**
 * Real-shaped inputs for the fuzz suite, from fixtures already in the repository: CloudTrail records
 * (test/fixtures/cloudtrail, shared/rules/examples), session logs (test/fixtures/sessions) and the
 * sample Lambda events (tools/invoke-events).
 */

const ROOT = join(import.meta.dirname, '../../..');
export const CLOUDTRAIL = join(ROOT, 'test/fixtures/cloudtrail');
export const SESSIONS = join(ROOT, 'test/fixtures/sessions');
const INVOKE_EVENTS = join(ROOT, 'tools/invoke-events');

export type Json = Record<string, unknown>;

export function readJson<T = Json>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A bare CloudTrail record of a scenario (StartSession with every usual field). */
export const cloudTrailRecord = (scenario: string): Json =>
  readJson(join(CLOUDTRAIL, `${scenario}-cloudtrail.json`));
export const eventBridgeEvent = (scenario: string): Json =>
  readJson(join(CLOUDTRAIL, `${scenario}-eventbridge.json`));
export const invokeEvent = (name: string): Json => readJson(join(INVOKE_EVENTS, `${name}.json`));

export interface RuleCase {
  /** `<rule file>: <case name>`. */
  name: string;
  record: Json;
  config?: ConfigInput;
  tags?: Record<string, Record<string, string>>;
  expect: string[];
}

/**
 * Cases of the CloudTrail rule examples (shared/rules/examples) that fire some rule and need no earlier
 * events or preferences state: each gives its findings from the record alone (with its configuration
 * and target tags, which replay takes too).
 */
export function ruleCases(): RuleCase[] {
  const out: RuleCase[] = [];
  for (const rule of [...SESSION_RULES].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    for (const [name, e] of examplesOf(rule.id)) {
      const expect = [...(rule.examples.match.includes(name) ? [rule.id] : []), ...(e.alsoFires ?? [])];
      const record = (e.record ?? e.event) as Json | undefined;
      // Facts a single replayed record cannot bring (state built by earlier calls, the sweep's view,
      // a command's per-instance tags): such examples are the catalogue's, not the fuzzer's.
      const stateful = e.facts?.preferences || e.facts?.seen || e.facts?.silence || e.facts?.targetTags;
      if (!record || expect.length === 0 || e.previous || stateful) continue;
      const target = requestTarget(record);
      out.push({
        name: `${rule.id}: ${name}`,
        record,
        config: e.config,
        tags: e.facts?.tags && target ? { [target]: e.facts.tags } : undefined,
        expect,
      });
    }
  }
  return out;
}

/** `requestParameters.target` of a bare record or an EventBridge event. */
function requestTarget(record: Json): string | undefined {
  const inner = (record.detail ?? record) as { requestParameters?: { target?: unknown } };
  const t = inner.requestParameters?.target;
  return typeof t === 'string' ? t : undefined;
}

/** Lines of a scenario's streaming session log, parsed. */
export function streamingEvents(scenario: string): Json[] {
  return readFileSync(join(SESSIONS, scenario, 'streaming.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Json);
}

/** The raw (S3) session log of a scenario and its file name (`<sessionId>.log`). */
export function rawLog(scenario: string): { name: string; text: string } {
  const dir = join(SESSIONS, scenario, 's3');
  const name = readdirSync(dir).find((f) => f.endsWith('.log'))!;
  return { name, text: readFileSync(join(dir, name), 'utf8') };
}

/** Subscription deliveries of a scenario, decoded to their DATA_MESSAGE. */
export function deliveries(scenario: string): Json[] {
  const dir = join(SESSIONS, scenario, 'subscription');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => decodeSubscription(readJson(join(dir, f))));
}

/** `{"awslogs":{"data": base64(gzip(JSON))}}` of a DATA_MESSAGE. */
export function subscriptionOf(message: unknown): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}

export function decodeSubscription(payload: Json): Json {
  const data = (payload.awslogs as { data: string }).data;
  return JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as Json;
}

/** An EventBridge "AWS API Call via CloudTrail" envelope around a record. */
export function envelope(record: Json): Json {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${String(record.eventSource ?? 'ssm').replace(/\.amazonaws\.com$/, '')}`,
    account: '111122223333',
    time: String(record.eventTime ?? '2026-11-22T02:03:28Z'),
    region: String(record.awsRegion ?? 'us-east-1'),
    resources: [],
    detail: record,
  };
}

/** The file shapes replay reads CloudTrail in; each renders a list of records as file bytes. */
export const RECORD_SHAPES = {
  bare: (records: Json[]) => Buffer.from(JSON.stringify(records[0], null, 2)),
  trail: (records: Json[]) => Buffer.from(JSON.stringify({ Records: records })),
  array: (records: Json[]) => Buffer.from(JSON.stringify(records, null, 1)),
  jsonl: (records: Json[]) => Buffer.from(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`),
  eventbridge: (records: Json[]) => Buffer.from(records.map((r) => JSON.stringify(envelope(r))).join('\n')),
  gz: (records: Json[]) => gzipSync(JSON.stringify({ Records: records })),
} as const;
export type RecordShape = keyof typeof RECORD_SHAPES;
export const RECORD_SHAPE_NAMES = Object.keys(RECORD_SHAPES) as RecordShape[];

/** Lines of session text planted per log event: a 250-line event adds nothing the first dozen miss. */
const MAX_SESSION_LINES = 12;

/**
 * A delivery's planting targets: its own string fields, and those of each JSON log event inside (the
 * first MAX_SESSION_LINES lines of its session text).
 */
export function deliveryTargets(
  message: Json,
): { field: string; plant: (text: string, mode: PlantMode) => Json }[] {
  const out: ReturnType<typeof deliveryTargets> = [];
  for (const path of stringPaths(message)) {
    out.push({
      field: pathText(path),
      plant: (text, mode) => withAt(message, path, (old) => plantInto(String(old), text, mode)),
    });
    const last = path[path.length - 1];
    if (last !== 'message') continue;
    let inner: Json;
    try {
      inner = JSON.parse(String((message.logEvents as Json[])[path[1] as number]!.message)) as Json;
    } catch {
      continue; // a plain-text log event: the message itself is the field
    }
    for (const innerPath of stringPaths(inner)) {
      if (innerPath[0] === 'sessionData' && Number(innerPath[1]) >= MAX_SESSION_LINES) continue;
      out.push({
        field: `${pathText(path)}>${pathText(innerPath)}`,
        plant: (text, mode) =>
          withAt(message, path, () =>
            JSON.stringify(withAt(inner, innerPath, (old) => plantInto(String(old), text, mode))),
          ),
      });
    }
  }
  return out;
}
