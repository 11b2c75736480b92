import { describe, expect, it } from 'vitest';
import { MemoryCarryOverStore, MemorySessionStore } from '#cli/state';
import { DEFAULT_CONFIG } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { type ChunkDeps, evidenceKinds, processChunk } from '#shared/pipeline/transcript';
import type { CarryOverStore } from '#shared/state/types';
import { createCommandDetector } from '#shared/transcript/commands';
import type { Detector, PiiScanner, TranscriptCarry, TranscriptChunk } from '#shared/transcript/types';

const PROMPT = '[ssm-user@ip-10-0-1-23 ~]$ ';
const SESSION = 'alice-0123456789abcdef0';

let nextId = 0;
function chunk(...lines: string[]): TranscriptChunk {
  return {
    sessionId: SESSION,
    origin: 'test',
    events: [{ time: '', text: lines.join('\n'), id: String(++nextId) }],
  };
}

function deps(extra: Partial<ChunkDeps> = {}): ChunkDeps {
  return {
    config: DEFAULT_CONFIG,
    sessions: new MemorySessionStore(),
    carry: new MemoryCarryOverStore<TranscriptCarry>(),
    pii: undefined,
    detectors: [createCommandDetector()],
    ...extra,
  };
}

/** A publish that records what it was given, and the order of publishing and saving. */
function recorder(steps: string[] = []) {
  const published: Finding[] = [];
  return {
    published,
    publish: async (findings: Finding[]) => {
      steps.push('publish');
      published.push(...findings);
    },
  };
}

describe('processChunk', () => {
  it('enriches from the session record, publishes, then saves the carry-over', async () => {
    const steps: string[] = [];
    const inner = new MemoryCarryOverStore<TranscriptCarry>();
    const carry: CarryOverStore<TranscriptCarry> = {
      get: (id) => inner.get(id),
      put: async (id, state) => {
        steps.push('save');
        await inner.put(id, state);
      },
    };
    const d = deps({ carry });
    await d.sessions.put({ sessionId: SESSION, startTime: '2026-11-22T01:59:00Z', sourceIp: '198.51.100.7' });
    const { published, publish } = recorder(steps);
    const r = await processChunk(chunk(`${PROMPT}history -c`), d, publish);
    expect(steps).toEqual(['publish', 'save']);
    expect(published).toEqual(r.findings);
    expect(published[0]).toMatchObject({ ruleId: 'cmd-history-tampering', sourceIp: '198.51.100.7' });
    expect((await inner.get(SESSION))?.nextLine).toBe(2);
    // Nothing found: nothing published, the carry-over still saved.
    const quiet = await processChunk(chunk('plain output'), d, publish);
    expect(quiet.findings).toEqual([]);
    expect(steps).toEqual(['publish', 'save', 'save']);
  });

  it('saves nothing when publishing fails, so the retried delivery publishes the same findings', async () => {
    const d = deps();
    const c = chunk(`${PROMPT}sudo su -`);
    const failing = async () => {
      throw new Error('bus unavailable');
    };
    await expect(processChunk(c, d, failing)).rejects.toThrow('bus unavailable');
    expect(await d.carry.get(SESSION)).toBeUndefined();
    const { published, publish } = recorder();
    await processChunk(c, d, publish);
    expect(published.map((f) => f.ruleId)).toEqual(['cmd-root-shell']);
    // Once saved, the same delivery is recognised and skipped.
    expect((await processChunk(c, d, publish)).findings).toEqual([]);
  });

  it('reports a carry-over store that fails as error items; a failed save asks for a retry', async () => {
    const broken: Detector = {
      name: 'broken',
      scan: () => {
        throw new Error('boom');
      },
    };
    const store: CarryOverStore<TranscriptCarry> = {
      get: () => Promise.reject(new Error('table missing')),
      put: () => Promise.reject(new Error('table missing')),
    };
    const { published, publish } = recorder();
    const r = await processChunk(
      chunk(`${PROMPT}visudo`),
      deps({ carry: store, detectors: [broken, createCommandDetector()] }),
      publish,
    );
    expect(published.map((f) => f.ruleId)).toEqual(['cmd-sudoers-tampering']);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/carry-over not loaded, scanning without it/),
      expect.stringMatching(/detector broken failed: Error: boom/),
      expect.stringMatching(/carry-over not saved/),
    ]);
    expect(r.retry).toBe(true);
  });

  it('saves nothing when the personal-data scan is to be retried', async () => {
    const failingPii: PiiScanner = {
      name: 'comprehend',
      scan: () => Promise.reject(new Error('ThrottlingException after 5 retries')),
    };
    const d = deps({ pii: failingPii });
    const { published, publish } = recorder();
    const r = await processChunk(chunk(`${PROMPT}sudo su -`), d, publish);
    expect(r.retry).toBe(true);
    expect(published.map((f) => f.ruleId).sort()).toEqual(['cmd-root-shell', 'scan-pii-unavailable']);
    expect(await d.carry.get(SESSION)).toBeUndefined();
  });
});

describe('evidenceKinds', () => {
  it('counts personal data and secrets by kind with their counts, work caps once each', () => {
    const f = (ruleId: string, category: Finding['category'], evidence: Finding['evidence']) =>
      ({ ruleId, category, evidence }) as Finding;
    const kinds = evidenceKinds([
      f('pii-email', 'pii', [
        { kind: 'EMAIL', excerpt: 'j***', count: 3 },
        { kind: 'EMAIL', excerpt: 'a***' },
      ]),
      f('secret-aws-access-key', 'secret', [{ kind: 'AWS_ACCESS_KEY', excerpt: 'AKIA***', count: 2 }]),
      f('scan-work-capped', 'scan-error', [{ kind: 'LINE_VALUES_CAPPED', excerpt: 'counted', count: 900 }]),
      f('cmd-root-shell', 'risky-command', [{ kind: 'ROOT_SHELL', excerpt: 'sudo su -' }]),
    ]);
    expect(kinds.pii).toEqual(new Map([['EMAIL', 4]]));
    expect(kinds.secret).toEqual(new Map([['AWS_ACCESS_KEY', 2]]));
    expect(kinds.capped).toEqual(new Map([['LINE_VALUES_CAPPED', 1]]));
  });
});
