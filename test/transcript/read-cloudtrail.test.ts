import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  cloudTrailRecords,
  isCloudTrailRecord,
  looksLikeCloudTrailDelivery,
  readDataMessage,
  readSubscription,
  readTranscriptFile,
} from '#shared/transcript/read';
import { timeRatio } from '../helpers/timing';
import { fixtureRecord, stratusRecords, subscriptionPayload, trailMessage } from './cloudtrail-payload';
import { scenarios, shapeFiles } from './corpus';

const records = stratusRecords();
const SESSION_STREAM = 'mallory-g7ob4wkz5r5f6ky4ng257scvtx';

describe('CloudTrail delivered through CloudWatch Logs', () => {
  it('a subscription payload of CloudTrail records gives the records, in time order, and no chunk', () => {
    const r = readSubscription(subscriptionPayload(trailMessage(records)), 'p');
    expect(r.chunks).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.cloudTrail).toHaveLength(records.length);
    const times = r.cloudTrail!.map((x) => String(x.eventTime));
    expect(times).toEqual([...times].sort());
    expect(r.cloudTrail!.filter((x) => x.eventName === 'StartSession')).toHaveLength(3);
  });

  it('so does the decoded DATA_MESSAGE (Firehose) and a payload file, gzipped or not', () => {
    const message = trailMessage([fixtureRecord('attacker-cloudtrail.json')]);
    expect(readDataMessage(message, 'm').cloudTrail?.[0]).toMatchObject({ eventName: 'StartSession' });
    const file = Buffer.from(JSON.stringify(subscriptionPayload(message)));
    for (const data of [file, gzipSync(file)]) {
      const r = readTranscriptFile(data, 'trail.json');
      expect(r).toMatchObject({ chunks: [], errors: [] });
      expect(r.cloudTrail).toHaveLength(1);
    }
  });

  it('keeps session logs sessions: real deliveries of the corpus are never CloudTrail', () => {
    for (const s of scenarios()) {
      for (const f of shapeFiles(s.name, 'subscription')) {
        const r = readTranscriptFile(readFileSync(f), f);
        expect(r.cloudTrail, f).toBeUndefined();
        expect(r.chunks.length, f).toBeGreaterThan(0);
        expect(looksLikeCloudTrailDelivery(readFileSync(f)), f).toBe(false);
      }
    }
  });

  it('a session whose output is one CloudTrail record in JSON stays a session', () => {
    const record = JSON.stringify(fixtureRecord('attacker-cloudtrail.json'));
    const text = (message: string) => ({ id: '1', timestamp: 1764000000000, message });
    // The only event of a delivery of the session's stream (plain CloudWatch logging writes raw output).
    const alone = readDataMessage(
      { messageType: 'DATA_MESSAGE', logStream: SESSION_STREAM, logEvents: [text(record)] },
      'p',
    );
    expect(alone.cloudTrail).toBeUndefined();
    expect(alone.chunks.map((c) => c.sessionId)).toEqual([SESSION_STREAM]);
    // Next to the session's other output, on any stream.
    const mixed = readDataMessage(
      {
        messageType: 'DATA_MESSAGE',
        logStream: '294599468799_CloudTrail_us-east-1',
        logEvents: [text('sh-5.2$ cat record.json'), text(record)],
      },
      'p',
    );
    expect(mixed.cloudTrail).toBeUndefined();
    expect(mixed.chunks).toHaveLength(1);
  });

  it('tells records from look-alikes by their members', () => {
    const start = fixtureRecord('attacker-cloudtrail.json');
    expect(isCloudTrailRecord(start)).toBe(true);
    // A streaming session event has eventVersion, eventTime and userIdentity, never eventSource.
    const streaming = JSON.parse(
      readFileSync(shapeFiles('attacker', 'streaming')[0]!, 'utf8').split('\n')[0]!,
    );
    expect(isCloudTrailRecord(streaming)).toBe(false);
    expect(isCloudTrailRecord({ ...streaming, eventSource: 'ssm.amazonaws.com', eventName: 'X' })).toBe(
      false,
    );
    for (const broken of [
      { eventSource: undefined },
      { eventSource: 'ssm' },
      { eventName: '' },
      { eventName: 42 },
      { eventTime: 'yesterday' },
      { eventVersion: 1.08 },
      { userIdentity: 'root' },
    ]) {
      expect(isCloudTrailRecord({ ...start, ...broken }), JSON.stringify(broken)).toBe(false);
    }
    // Insights events have no userIdentity, but an eventType.
    const { userIdentity: _, ...insight } = start;
    expect(isCloudTrailRecord({ ...insight, eventType: 'AwsCloudTrailInsight' })).toBe(true);
    expect(cloudTrailRecords([], 'x')).toBeUndefined();
    expect(cloudTrailRecords([{ id: '1', message: JSON.stringify(start) }, null], 'x')).toBeUndefined();
  });

  it('sniffs a trail from the first bytes of a payload, cut anywhere after the first event', () => {
    // Distinct ids, as real records have: a payload well past the 64 KiB head once compressed.
    const many = Array.from({ length: 40 }, () => records)
      .flat()
      .map((r) => ({ ...r, eventID: randomUUID(), requestID: randomBytes(32).toString('hex') }));
    const payload = Buffer.from(JSON.stringify(subscriptionPayload(trailMessage(many))));
    expect(payload.length).toBeGreaterThan(64 * 1024);
    for (const head of [payload, payload.subarray(0, 64 * 1024), payload.subarray(0, 3000)]) {
      expect(looksLikeCloudTrailDelivery(head)).toBe(true);
    }
    const message = Buffer.from(JSON.stringify(trailMessage(records)));
    expect(looksLikeCloudTrailDelivery(message.subarray(0, 2000))).toBe(true);
    for (const other of [
      '',
      '{"awslogs":{"data":"%%%"}}',
      '{"awslogs":{"data":"aGVsbG8="}}',
      'Script started on',
    ]) {
      expect(looksLikeCloudTrailDelivery(other), other).toBe(false);
    }
  });

  it('decides in linear time', () => {
    const event = { id: '1', timestamp: 0, message: JSON.stringify(records[0]) };
    const small = Array.from({ length: 2000 }, () => event);
    const large = Array.from({ length: 8000 }, () => event);
    // 4x the events: a quadratic decision is about 16x.
    expect(
      timeRatio(
        () => cloudTrailRecords(small, 'x'),
        () => cloudTrailRecords(large, 'x'),
      ),
    ).toBeLessThan(8);
  });
});
