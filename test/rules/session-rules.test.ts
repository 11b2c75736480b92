import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FindingSchema } from '#shared/model/finding';
import { MONITOR_RULES } from '#shared/rules/monitor-rules';
import { PREFERENCES_RULES } from '#shared/rules/preferences-rules';
import { SESSION_FAMILY_RULES, SESSION_RULES } from '#shared/rules/session-rules';
import {
  COMMAND_CALLS,
  COMMAND_ROUTE,
  DOCUMENT_CALLS,
  DOCUMENT_ROUTE,
  GUI_CONNECT_SOURCE,
  PREFERENCES_CALLS,
  PREFERENCES_ROUTE,
  RDP_ROUTE,
  READ_ONLY_SESSION_CALLS,
  SESSION_CALLS,
  SESSION_ROUTE,
  SHARE_ROUTE,
} from '#shared/session/apis';
import { CLOUDTRAIL_FAMILIES, exampleOf, examplesOf, runExample } from '#shared/session/families';
import { MONITOR_APIS } from '#shared/session/monitor';
import { mayConcernSessions } from '#shared/session/normalise';

/** The CloudTrail families (session, preferences, monitor): metadata, routes and every example. */

const familyOf = new Map(CLOUDTRAIL_FAMILIES.flatMap((f) => f.rules.map((r) => [r.id, f] as const)));
const all = SESSION_RULES.flatMap((rule) => [
  ...rule.examples.match.map((name) => ({ rule, name, fires: true })),
  ...rule.examples.noMatch.map((name) => ({ rule, name, fires: false })),
]);

describe('CloudTrail rule metadata', () => {
  it.each(SESSION_RULES.map((r) => [r.id, r] as const))('%s is complete', (id, rule) => {
    expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(rule.title.length).toBeGreaterThan(0);
    expect(rule.description.length).toBeGreaterThan(20);
    expect(rule.playbook.length).toBeGreaterThan(0);
    expect(rule.routes.length).toBeGreaterThan(0);
    expect(rule.examples.match.length).toBeGreaterThan(0);
    expect(rule.examples.noMatch.length).toBeGreaterThan(0);
  });

  it('ids are unique', () => {
    expect(new Set(SESSION_RULES.map((r) => r.id)).size).toBe(SESSION_RULES.length);
  });

  it('the three families hold every CloudTrail rule once, in catalogue order', () => {
    expect(CLOUDTRAIL_FAMILIES.map((f) => f.name)).toEqual(['session', 'preferences', 'monitor']);
    expect(CLOUDTRAIL_FAMILIES.flatMap((f) => f.rules)).toEqual([...SESSION_RULES]);
    expect(SESSION_RULES).toEqual([...SESSION_FAMILY_RULES, ...PREFERENCES_RULES, ...MONITOR_RULES]);
  });

  it.each(SESSION_RULES.map((r) => [r.id, r] as const))(
    '%s names each example of its file once',
    (id, rule) => {
      const listed = [...rule.examples.match, ...rule.examples.noMatch];
      expect(new Set(listed).size).toBe(listed.length);
      expect([...examplesOf(id).keys()].sort()).toEqual([...listed].sort());
    },
  );

  it('every examples file belongs to a rule (the CloudTrail rules, and scan-work-capped end to end)', () => {
    const files = readdirSync(new URL('../../shared/rules/examples/', import.meta.url));
    expect(files.sort()).toEqual(
      [...SESSION_RULES.map((r) => `${r.id}.json`), 'scan-work-capped.json'].sort(),
    );
  });
});

describe('CloudTrail rule routes', () => {
  it('each session-family rule routes exactly the calls it classifies', () => {
    const access = [SESSION_ROUTE, COMMAND_ROUTE, RDP_ROUTE];
    const expected: Record<string, unknown[]> = {
      'session-start-shell': [SESSION_ROUTE],
      'session-start-command': [SESSION_ROUTE],
      'session-start-custom-document': [SESSION_ROUTE],
      'session-port-forward-local': [SESSION_ROUTE],
      'session-port-forward-sensitive-port': [SESSION_ROUTE],
      'session-port-forward-remote-host': [SESSION_ROUTE],
      'session-ssh-tunnel': [SESSION_ROUTE],
      'session-root-principal': access,
      'session-long-term-key-no-mfa': access,
      'session-access-denied': [SESSION_ROUTE, COMMAND_ROUTE, PREFERENCES_ROUTE],
      'session-access-denied-burst': [SESSION_ROUTE, COMMAND_ROUTE, PREFERENCES_ROUTE],
      'session-production-target': access,
      'session-untrusted-network': access,
      'session-off-hours': access,
      'session-missing-reason': [SESSION_ROUTE],
      'session-resumed-new-ip': [SESSION_ROUTE],
      'run-command-from-instance': [COMMAND_ROUTE],
      'run-command-send': [COMMAND_ROUTE],
      'run-command-automation': [COMMAND_ROUTE],
      'document-runnable-changed': [DOCUMENT_ROUTE],
      'document-shared-publicly': [SHARE_ROUTE],
      'session-remote-desktop': [RDP_ROUTE],
      'principal-fan-out': access,
      'principal-first-seen': access,
      'session-missing-transcript': [SESSION_ROUTE],
    };
    expect(SESSION_FAMILY_RULES.map((r) => r.id).sort()).toEqual(Object.keys(expected).sort());
    for (const r of SESSION_FAMILY_RULES) expect(r.routes, r.id).toEqual(expected[r.id]);
    for (const r of PREFERENCES_RULES) expect(r.routes).toEqual([PREFERENCES_ROUTE]);
    expect(PREFERENCES_ROUTE.resources).toEqual([
      { key: 'name', match: ['preferences-document'] },
      { key: 'documentType', match: ['session-document'] },
    ]);
    // Sharing is routed only when it adds every account; documents and commands unfiltered.
    expect(SHARE_ROUTE).toEqual({
      service: 'ssm',
      eventNames: ['ModifyDocumentPermission'],
      resources: [{ key: 'accountIdsToAdd', match: ['all-accounts'] }],
    });
    expect(DOCUMENT_ROUTE.resources).toBeUndefined();
    expect(COMMAND_ROUTE.resources).toBeUndefined();
    expect(RDP_ROUTE).toEqual({ service: 'ssm-guiconnect', eventNames: ['StartConnection'] });
  });

  it('the ssm calls classified are the routed ones, plus the read-only calls whose denials count in a replay', () => {
    const routedOf = (service: string) =>
      new Set(
        SESSION_RULES.flatMap((r) => r.routes)
          .filter((route) => route.service === service)
          .flatMap((route) => route.eventNames),
      );
    const routed = routedOf('ssm');
    expect([...routed].sort()).toEqual(
      [
        ...new Set([
          ...SESSION_CALLS,
          ...PREFERENCES_CALLS,
          ...COMMAND_CALLS,
          ...DOCUMENT_CALLS,
          'ModifyDocumentPermission',
        ]),
      ].sort(),
    );
    for (const name of routed) expect(mayConcernSessions('ssm.amazonaws.com', name)).toBe(true);
    for (const name of READ_ONLY_SESSION_CALLS) {
      expect(routed.has(name)).toBe(false);
      expect(mayConcernSessions('ssm.amazonaws.com', name)).toBe(true);
    }
    for (const name of ['GetDocument', 'DescribeInstanceInformation', 'ListCommands', 'DescribeDocument'])
      expect(mayConcernSessions('ssm.amazonaws.com', name)).toBe(false);
    // Fleet Manager remote desktop: only the connection start.
    expect([...routedOf('ssm-guiconnect')]).toEqual(['StartConnection']);
    expect(GUI_CONNECT_SOURCE).toBe('ssm-guiconnect.amazonaws.com');
    expect(mayConcernSessions(GUI_CONNECT_SOURCE, 'StartConnection')).toBe(true);
    expect(mayConcernSessions(GUI_CONNECT_SOURCE, 'GetConnection')).toBe(false);
    expect(mayConcernSessions('ssm.amazonaws.com', 'StartConnection')).toBe(false);
  });

  it('monitor rules route the MONITOR_APIS catalogue: CloudTrail on any trail, the rest on our resources', () => {
    const [trail, resources] = MONITOR_RULES;
    const apis = Object.values(MONITOR_APIS);
    expect(trail?.routes).toEqual([
      { service: 'cloudtrail', eventNames: MONITOR_APIS['cloudtrail.amazonaws.com']?.eventNames },
    ]);
    expect(resources?.routes).toEqual(
      apis
        .filter((a) => !a.anyResource)
        .map((a) => ({ service: a.service, eventNames: a.eventNames, resources: a.resources })),
    );
    for (const route of resources?.routes ?? []) expect(route.resources?.length).toBeGreaterThan(0);
  });
});

describe('CloudTrail rule examples', () => {
  it.each(all)('$rule.id: $name (fires: $fires)', ({ rule, name, fires }) => {
    const example = exampleOf(rule, name);
    const result = runExample(example);
    expect(result.error).toBeUndefined();
    for (const f of result.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    expect(familyOf.get(rule.id)?.fires(rule, name)).toBe(fires);
    const ids = result.findings.map((f) => f.ruleId);
    for (const id of example.alsoFires ?? []) expect(ids).toContain(id);
    for (const id of example.alsoQuiet ?? []) expect(ids).not.toContain(id);
  });
});
