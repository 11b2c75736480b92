import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  busiestSession,
  demoConfig,
  demoFindings,
  readmeSample,
  sessionAlerts,
  withSample,
} from '#tools/alerts-sample';

describe('README: what on-call receives for one attacker session', () => {
  it('is what the notifier and the digest sweep send for the demo (npm run alerts:sample)', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const updated = withSample(readme, await readmeSample());
    expect(updated, 'README.md has no alerts-sample markers').toBeDefined();
    expect(updated === readme, 'README sample is stale: run npm run alerts:sample').toBe(true);
  });

  it('is at most two immediate messages and one digest for the busiest session', async () => {
    const config = demoConfig();
    const session = busiestSession(await demoFindings(), config);
    expect(session.length).toBeGreaterThan(10);
    const sent = await sessionAlerts(session, config);
    expect(sent.map((s) => s.alert.kind)).toEqual(['opened', 'escalated', 'digest']);
    // In time order, the digest after its window closed.
    const [, , digest] = sent;
    if (digest?.alert.kind !== 'digest') throw new Error('no digest');
    expect(digest.atMs).toBeGreaterThanOrEqual(Date.parse(digest.alert.digest.window.end));
  });
});
