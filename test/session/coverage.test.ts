import { describe, expect, it } from 'vitest';
import { type Finding, FindingSchema } from '#shared/model/finding';
import { classifyRecord } from '#shared/pipeline/record';
import { SESSION_RULES } from '#shared/rules/session-rules';
import { principalKey } from '#shared/session/access';
import { classifyEvent, readRecord } from '#shared/session/classify';
import { configOf, examplesOf, runExample } from '#shared/session/families';
import type { ClassifyContext } from '#shared/session/types';
import { type ContextSpec, contextOf, makeContext } from './helpers';

/**
 * Issue 10 end to end through the record pipeline (in-memory stores, as the CLI runs it): Run Command,
 * documents, public sharing, remote desktop, root on any session call, fan-out and first seen. Records
 * are the rules' examples (shared/rules/examples), changed one member at a time.
 */

type Json = Record<string, unknown>;

function example(rule: string, name: string): Json {
  const e = examplesOf(rule).get(name);
  if (!e) throw new Error(`no example ${rule}: ${name}`);
  return structuredClone((e.record ?? e.event) as Json);
}

const SEND = example('run-command-send', 'AWS-RunShellScript on one instance');
const START = example('principal-first-seen', 'baseline unknown');
const CREATE = example('document-runnable-changed', 'IAM user creates a Command document');
const SHARE = example('document-shared-publicly', 'shared with all');
const RDP = example('session-remote-desktop', 'AWS documentation StartConnection');
const ROOT_TERMINATE = example('session-root-principal', 'root terminates a session');
const INSTANCE_SEND = example(
  'run-command-from-instance',
  'instance role sends a shell script to two instances',
);
const LONG_TERM_START = example(
  'session-long-term-key-no-mfa',
  'IAM user without session context, key id sanitised (ACCESSKEYID)',
);
const ROOT_ID = ROOT_TERMINATE.userIdentity as Json;
const SANITISED_USER = LONG_TERM_START.userIdentity as Json;

let seq = 0;
/** `base` with members replaced (requestParameters merged), a fresh event id and the given time. */
function variant(base: Json, changes: Json = {}, request?: Json): Json {
  seq += 1;
  const out: Json = {
    ...structuredClone(base),
    eventID: `5a0c1f3e-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    ...changes,
  };
  if (request) out.requestParameters = { ...(base.requestParameters as Json), ...request };
  return out;
}

function denied(base: Json, changes: Json = {}): Json {
  return variant(base, {
    errorCode: 'AccessDenied',
    errorMessage: 'User is not authorized to perform this action',
    responseElements: null,
    ...changes,
  });
}

/** A role session of `role` named `session` (same account and key shape as the examples). */
function roleIdentity(role: string, session: string): Json {
  return {
    type: 'AssumedRole',
    principalId: `AROAVYMHNQYOEXAMPLE9:${session}`,
    arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
    accountId: '111122223333',
    accessKeyId: 'ASIA4ZU7PHWGXBAZ7T2X',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAVYMHNQYOEXAMPLE9',
        arn: `arn:aws:iam::111122223333:role/${role}`,
        accountId: '111122223333',
        userName: role,
      },
      attributes: { creationDate: '2026-11-24T09:00:00Z', mfaAuthenticated: 'true' },
    },
  };
}

/** An Identity Center user of the AdministratorAccess permission set. */
function ssoIdentity(person: string): Json {
  const role = 'AWSReservedSSO_AdministratorAccess_5fa4a3c6d8e2b1f0';
  return {
    ...roleIdentity(role, person),
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAY34FZKBOEXAMPLE2',
        arn: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-1/${role}`,
        accountId: '111122223333',
        userName: role,
      },
      attributes: { creationDate: '2026-11-24T09:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

const at = (minutes: number) => new Date(Date.parse('2026-11-24T10:15:07Z') + minutes * 60_000).toISOString();

async function run(records: Json[], spec: ContextSpec = {}): Promise<Finding[][]> {
  const deps = await makeContext(spec);
  const out: Finding[][] = [];
  for (const r of records) {
    const result = await classifyRecord(r, deps);
    expect(result.error).toBeUndefined();
    for (const f of result.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    out.push(result.findings);
  }
  return out;
}

async function one(record: Json, spec: ContextSpec = {}): Promise<Finding[]> {
  return (await run([record], spec))[0]!;
}

const summary = (findings: Finding[]) => findings.map((f) => [f.ruleId, f.severity]);
const ids = (findings: Finding[]) => findings.map((f) => f.ruleId);

function eventOf(record: Json, config: ContextSpec['config'] = {}) {
  const ctx: ClassifyContext = { config: configOf(config) };
  const r = readRecord(record, ctx);
  expect(r.error).toBeUndefined();
  return { ev: r.event!, ctx };
}

describe('Run Command: SendCommand', () => {
  it('counts instance ids and tag targets, names the document and the command id', async () => {
    const record = variant(
      SEND,
      {},
      {
        instanceIds: ['i-0a11b22c33d44e55f', 'i-0b22c33d44e55f660'],
        targets: [
          { key: 'tag:Role', values: ['web', 'api'] },
          { key: 'InstanceIds', values: ['i-0c33d44e55f660711'] },
        ],
      },
    );
    const { ev } = eventOf(record);
    expect(ev.command).toMatchObject({
      instances: ['i-0a11b22c33d44e55f', 'i-0b22c33d44e55f660', 'i-0c33d44e55f660711'],
      instanceCount: 3,
      selectors: ['tag:Role=web,api'],
      parametersHidden: true,
    });
    const [primary] = await one(record);
    expect(primary).toMatchObject({
      ruleId: 'run-command-send',
      severity: 'MEDIUM',
      category: 'run-command',
    });
    expect(primary!.reasons[0]).toBe(
      'SendCommand of AWS-RunShellScript on 4 targets (i-0a11b22c33d44e55f, i-0b22c33d44e55f660, i-0c33d44e55f660711 (+1 more))',
    );
    expect(primary!.evidence).toEqual([
      { kind: 'DOCUMENT', excerpt: 'AWS-RunShellScript' },
      expect.objectContaining({ kind: 'TARGETS', count: 4 }),
      { kind: 'COMMAND_ID', excerpt: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
  });

  it('says the command text is hidden, and only when CloudTrail hid it', async () => {
    const hidden = /HIDDEN_DUE_TO_SECURITY_REASONS\): read the invocation output/;
    const [withHidden] = await one(variant(SEND));
    expect(withHidden!.reasons.some((r) => hidden.test(r))).toBe(true);
    const visible = variant(SEND, {}, { parameters: { commands: ['uptime'] } });
    const [shown] = await one(visible);
    expect(shown!.ruleId).toBe('run-command-send');
    expect(shown!.reasons.some((r) => hidden.test(r))).toBe(false);
    // The command text itself is never part of a finding.
    expect(JSON.stringify(shown)).not.toContain('uptime');
  });

  it('a production instance (by its tags) or a production tag selector raises it one step', async () => {
    const twoInstances = variant(SEND, {}, { instanceIds: ['i-0a11b22c33d44e55f', 'i-0b22c33d44e55f660'] });
    const byTags = await one(twoInstances, {
      tags: { 'i-0a11b22c33d44e55f': { Environment: 'dev' }, 'i-0b22c33d44e55f660': { environment: 'PROD' } },
    });
    expect(summary(byTags)).toEqual([
      ['run-command-send', 'HIGH'],
      ['session-production-target', 'LOW'],
    ]);
    expect(byTags[1]!.reasons).toEqual(['production target (tag environment=PROD)']);
    const selector = variant(
      SEND,
      {},
      {
        instanceIds: undefined,
        targets: [{ key: 'tag:Environment', values: ['staging', 'production'] }],
      },
    );
    expect(summary(await one(selector))).toEqual([
      ['run-command-send', 'HIGH'],
      ['session-production-target', 'LOW'],
    ]);
    // A selector on another key, or staging only, is not production.
    const other = variant(
      SEND,
      {},
      { instanceIds: undefined, targets: [{ key: 'tag:Team', values: ['prod'] }] },
    );
    expect(summary(await one(other))).toEqual([['run-command-send', 'MEDIUM']]);
    const staging = await one(twoInstances, {
      tags: { 'i-0a11b22c33d44e55f': { Environment: 'staging' } },
    });
    expect(summary(staging)).toEqual([['run-command-send', 'MEDIUM']]);
  });

  it('from an instance role session it is HIGH, and not raised again for the same fact', async () => {
    const { ev } = eventOf(INSTANCE_SEND);
    expect(ev.principal.instanceCredentials).toBe(true);
    const findings = await one(variant(INSTANCE_SEND));
    expect(summary(findings)).toEqual([['run-command-from-instance', 'HIGH']]);
    expect(findings[0]!.reasons).toContain(
      'called with EC2 instance-role credentials: an instance runs commands on instances',
    );
    expect(findings[0]!.reasons.join('\n')).not.toContain('(from inside an instance)');
    // An instance session is recognised by its session name alone too (no ec2RoleDelivery).
    const identity = structuredClone(INSTANCE_SEND.userIdentity) as Json;
    delete (identity.sessionContext as Json).ec2RoleDelivery;
    expect(ids(await one(variant(INSTANCE_SEND, { userIdentity: identity })))).toEqual([
      'run-command-from-instance',
    ]);
  });

  it('a long-term key makes it HIGH, root CRITICAL: the principal outranks the command', async () => {
    const key = await one(variant(SEND, { userIdentity: SANITISED_USER }));
    expect(summary(key)).toEqual([['session-long-term-key-no-mfa', 'HIGH']]);
    expect(key[0]!.reasons.slice(0, 2)).toEqual([
      'IAM user ops-automation signed with a long-term access key without MFA',
      'SendCommand of AWS-RunShellScript on 1 target (i-0c4d5e6f708192a3b)',
    ]);
    const root = await one(variant(SEND, { userIdentity: ROOT_ID }));
    expect(summary(root)).toEqual([['session-root-principal', 'CRITICAL']]);
    expect(root[0]!.reasons[0]).toBe('SendCommand called by the account root user');
  });

  it('an untrusted network and off-hours raise a command like a session', async () => {
    const findings = await one(variant(SEND, { eventTime: '2026-11-22T02:03:28Z' }), {
      config: { trustedCidrs: ['10.0.0.0/8'], businessHours: { timezone: 'Europe/Berlin' } },
    });
    // MEDIUM raised two steps would be CRITICAL: context stops at HIGH (shared/rules/policy.ts).
    expect(summary(findings)).toEqual([
      ['run-command-send', 'HIGH'],
      ['session-untrusted-network', 'MEDIUM'],
      ['session-off-hours', 'LOW'],
    ]);
    const inside = await one(variant(SEND, { sourceIPAddress: '10.1.2.3' }), {
      config: { trustedCidrs: ['10.0.0.0/8'] },
    });
    expect(summary(inside)).toEqual([['run-command-send', 'MEDIUM']]);
  });

  it('an automation of the account’s own runbook is Run Command; an unlisted AWS runbook is not', async () => {
    const custom = example('run-command-automation', 'custom runbook on an instance');
    expect(summary(await one(custom))).toEqual([['run-command-automation', 'MEDIUM']]);
    const byArn = variant(
      custom,
      {},
      {
        documentName: 'arn:aws:ssm:us-east-1:444455556666:document/Shared-Runbook',
      },
    );
    expect(ids(await one(byArn))).toEqual(['run-command-automation']);
    const aws = variant(
      custom,
      {},
      { documentName: 'arn:aws:ssm:us-east-1:aws:document/AWS-RestartEC2Instance' },
    );
    expect(await one(aws)).toEqual([]);
  });
});

describe('denied commands count with the access-denied burst', () => {
  const deniedStart = (minutes: number) => denied(START, { eventTime: at(minutes) });
  const deniedSend = (minutes: number, userIdentity = START.userIdentity) =>
    denied(SEND, { eventTime: at(minutes), userIdentity });

  it('a denied SendCommand completes the burst of the same principal’s denied StartSessions', async () => {
    const config = { accessDenied: { burstThreshold: 3, windowMinutes: 10 } };
    const results = await run([deniedStart(0), deniedStart(1), deniedSend(2)], { config });
    expect(results.map(ids)).toEqual([
      ['session-access-denied'],
      ['session-access-denied'],
      ['session-access-denied-burst'],
    ]);
    expect(results[2]![0]).toMatchObject({ count: 3, severity: 'HIGH' });
    expect(results[2]![0]!.reasons[0]).toBe('SendCommand denied (AccessDenied)');
  });

  it('another principal’s denied command does not count, nor a denial outside the window', async () => {
    const config = { accessDenied: { burstThreshold: 3, windowMinutes: 10 } };
    const other = roleIdentity('ReadOnly', 'bob');
    const results = await run([deniedStart(0), deniedSend(1, other), deniedSend(15)], { config });
    expect(results.map(ids)).toEqual([
      ['session-access-denied'],
      ['session-access-denied'],
      ['session-access-denied'],
    ]);
  });

  it('a denied command is no Run Command finding and reaches no fan-out window', async () => {
    const three = variant(
      SEND,
      {},
      {
        instanceIds: ['i-0a11b22c33d44e55f', 'i-0b22c33d44e55f660', 'i-0c33d44e55f660711'],
      },
    );
    const results = await run([denied(three), variant(START, { eventTime: at(1) })]);
    expect(ids(results[0]!)).toEqual(['session-access-denied']);
    expect(ids(results[1]!)).toEqual(['session-start-shell']);
  });
});

describe('documents', () => {
  const typed = (type: string, name = 'Acme-Tool', eventName = 'CreateDocument') => {
    const r = variant(CREATE, { eventName }, { name, documentType: type });
    (r.responseElements as { documentDescription: Json }).documentDescription.documentType = type;
    return r;
  };

  it.each(['Command', 'Automation'])(
    'a created or updated %s document is document abuse (MEDIUM)',
    async (type) => {
      for (const eventName of ['CreateDocument', 'UpdateDocument']) {
        const findings = await one(typed(type, 'Acme-Tool', eventName));
        expect(summary(findings)).toEqual([['document-runnable-changed', 'MEDIUM']]);
        expect(findings[0]).toMatchObject({ category: 'document-abuse' });
        expect(findings[0]!.evidence).toEqual([
          { kind: 'DOCUMENT', excerpt: 'Acme-Tool' },
          { kind: 'DOCUMENT_TYPE', excerpt: type },
        ]);
      }
    },
  );

  it('a Session document belongs to the preferences family (it may carry preferences)', async () => {
    expect(summary(await one(typed('Session')))).toEqual([['session-preferences-changed', 'HIGH']]);
  });

  it.each(['Package', 'Policy', 'ChangeCalendar', 'ApplicationConfiguration'])(
    'a %s document is not one that runs on instances',
    async (type) => {
      expect(await one(typed(type))).toEqual([]);
    },
  );

  it('a default version change (type not in the record) counts', async () => {
    const r = example('document-runnable-changed', 'default version changed (type unknown)');
    const [f] = await one(r);
    expect(f!.reasons).toEqual([
      'UpdateDocumentDefaultVersion of Acme-RotateLogs',
      'document type not in the record: it may run on instances',
    ]);
  });

  it('the preferences documents stay preferences changes, by name or configuration', async () => {
    const prefs = variant(
      CREATE,
      { eventName: 'UpdateDocument' },
      {
        name: 'SSM-SessionManagerRunShell',
        documentType: undefined,
      },
    );
    (prefs.responseElements as Json).documentDescription = undefined;
    expect(ids(await one(prefs))).toEqual(['session-preferences-changed']);
    const team = variant(prefs, {}, { name: 'Team-Prefs' });
    expect(ids(await one(team))).toEqual(['document-runnable-changed']);
    expect(ids(await one(team, { config: { preferencesDocuments: ['Team-Prefs'] } }))).toEqual([
      'session-preferences-changed',
    ]);
  });

  it('deleting an ordinary document stays quiet; deleting the preferences document does not', async () => {
    const del = { eventName: 'DeleteDocument', responseElements: null };
    expect(await one(variant(CREATE, del, { name: 'Acme-Tool', documentType: undefined }))).toEqual([]);
    expect(
      ids(await one(variant(CREATE, del, { name: 'SSM-SessionManagerRunShell', documentType: undefined }))),
    ).toEqual(['session-preferences-deleted']);
  });

  it('a denied document change is an access denial, not document abuse', async () => {
    expect(ids(await one(denied(CREATE)))).toEqual(['session-access-denied']);
  });
});

describe('sharing a document publicly', () => {
  it.each([['all'], ['All'], ['ALL'], [' all ']])('accountIdsToAdd %j is HIGH', async (all) => {
    const findings = await one(variant(SHARE, {}, { accountIdsToAdd: ['444455556666', all] }));
    expect(summary(findings)).toEqual([['document-shared-publicly', 'HIGH']]);
    expect(findings[0]!.reasons).toEqual(['Acme-RotateLogs shared with every AWS account (all)']);
  });

  it('sharing with named accounts, or removing the public permission, is quiet', async () => {
    expect(await one(variant(SHARE, {}, { accountIdsToAdd: ['444455556666', 'allison'] }))).toEqual([]);
    expect(await one(variant(SHARE, {}, { accountIdsToAdd: [], accountIdsToRemove: ['all'] }))).toEqual([]);
  });
});

describe('Fleet Manager remote desktop', () => {
  it('StartConnection is a start of kind rdp: LOW, no transcript expected', async () => {
    const { ev, ctx } = eventOf(RDP);
    expect(ev).toMatchObject({ action: 'start', kind: 'rdp', target: 'i-02573cafcfEXAMPLE' });
    const out = classifyEvent(ev, {}, ctx);
    expect(summary(out.findings)).toEqual([['session-remote-desktop', 'LOW']]);
    expect(out.findings[0]).toMatchObject({ sessionKind: 'rdp', target: 'i-02573cafcfEXAMPLE' });
    expect(out.writes.map((w) => w.type)).not.toContain('expect-transcript');
    expect(out.writes.map((w) => w.type)).toEqual(['seen', 'window']);
  });

  it('by root: CRITICAL raised for the unlogged connection, the remote desktop finding kept', async () => {
    const findings = await one(variant(RDP, { userIdentity: ROOT_ID }));
    expect(summary(findings)).toEqual([
      ['session-root-principal', 'CRITICAL'],
      ['session-remote-desktop', 'LOW'],
    ]);
    expect(findings[0]!.reasons).toContain('remote desktop: no transcript by design');
  });

  it('other GUI Connect calls are not sessions', async () => {
    expect(await one(variant(RDP, { eventName: 'GetConnection' }))).toEqual([]);
  });
});

describe('root on any session call', () => {
  it('TerminateSession by root is CRITICAL and still ends the session', async () => {
    const { ev, ctx } = eventOf(ROOT_TERMINATE);
    const out = classifyEvent(ev, {}, ctx);
    expect(summary(out.findings)).toEqual([['session-root-principal', 'CRITICAL']]);
    expect(out.findings[0]!.reasons).toEqual(['TerminateSession called by the account root user']);
    expect(out.writes).toEqual([
      { type: 'session-ended', sessionId: 'root-0a1b2c3d4e5f67890', time: ev.time },
    ]);
    // The same call by anyone else is bookkeeping only.
    expect(await one(variant(ROOT_TERMINATE, { userIdentity: START.userIdentity }))).toEqual([]);
  });

  it('a denied call by root is a denial, and a read-only call by root is nothing', async () => {
    expect(ids(await one(denied(ROOT_TERMINATE)))).toEqual(['session-access-denied']);
    expect(await one(example('session-root-principal', 'root describes sessions'))).toEqual([]);
  });
});

describe('fan-out', () => {
  const start = (minutes: number, target: string, userIdentity: unknown = START.userIdentity) =>
    variant(START, { eventTime: at(minutes), userIdentity }, { target });
  const fanOuts = (results: Finding[][]) =>
    results.map((fs) => fs.filter((f) => f.ruleId === 'principal-fan-out').length);

  it('alerts once per window, at the third distinct target, and again in a later window', async () => {
    const results = await run([
      start(0, 'i-0000000000000000a'),
      start(1, 'i-0000000000000000b'),
      start(1, 'i-0000000000000000b'),
      start(2, 'i-0000000000000000c'),
      start(3, 'i-0000000000000000d'),
      start(4, 'i-0000000000000000e'),
      start(40, 'i-0000000000000001a'),
      start(41, 'i-0000000000000001b'),
      start(42, 'i-0000000000000001c'),
    ]);
    expect(fanOuts(results)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const alert = results[3]!.find((f) => f.ruleId === 'principal-fan-out')!;
    expect(alert).toMatchObject({ severity: 'MEDIUM', category: 'lateral-movement', count: 3 });
    expect(alert.reasons).toEqual([
      'role ContractorAccess reached 3 distinct targets within 10 min (threshold 3)',
    ]);
  });

  it('counts sessions, remote desktops and commands of one principal together', async () => {
    const rdp = variant(RDP, { eventTime: at(1), userIdentity: START.userIdentity });
    const send = variant(SEND, { eventTime: at(2), userIdentity: START.userIdentity });
    const results = await run([start(0, 'i-0000000000000000a'), rdp, send]);
    expect(fanOuts(results)).toEqual([0, 0, 1]);
  });

  it('keys on the role, not the role session: two session names of one role count together', async () => {
    const results = await run([
      start(0, 'i-0000000000000000a', roleIdentity('DeployRole', 'gh-actions-1')),
      start(1, 'i-0000000000000000b', roleIdentity('DeployRole', 'gh-actions-2')),
      start(2, 'i-0000000000000000c', roleIdentity('DeployRole', 'gh-actions-3')),
    ]);
    expect(fanOuts(results)).toEqual([0, 0, 1]);
  });

  it('different roles, and different SSO users of one permission set, are different principals', async () => {
    const roles = await run([
      start(0, 'i-0000000000000000a', roleIdentity('DeployRole', 'alice')),
      start(1, 'i-0000000000000000b', roleIdentity('OpsAdmin', 'alice')),
      start(2, 'i-0000000000000000c', roleIdentity('ReadOnly', 'alice')),
    ]);
    expect(fanOuts(roles)).toEqual([0, 0, 0]);
    const people = await run([
      start(0, 'i-0000000000000000a', ssoIdentity('alice.doe')),
      start(1, 'i-0000000000000000b', ssoIdentity('bob.roe')),
      start(2, 'i-0000000000000000c', ssoIdentity('carol.lee')),
    ]);
    expect(fanOuts(people)).toEqual([0, 0, 0]);
    // The same SSO user on three instances is a fan-out.
    const one = await run([
      start(0, 'i-0000000000000000a', ssoIdentity('alice.doe')),
      start(1, 'i-0000000000000000b', ssoIdentity('alice.doe')),
      start(2, 'i-0000000000000000c', ssoIdentity('alice.doe')),
    ]);
    expect(fanOuts(one)).toEqual([0, 0, 1]);
  });

  it('the principal key is account plus user or role name', () => {
    const key = (identity: Json) => principalKey(eventOf(variant(START, { userIdentity: identity })).ev);
    expect(key(roleIdentity('DeployRole', 'a'))).toBe(key(roleIdentity('DeployRole', 'b')));
    expect(key(roleIdentity('DeployRole', 'a'))).not.toBe(key(roleIdentity('OpsAdmin', 'a')));
    expect(key(ssoIdentity('alice.doe'))).not.toBe(key(ssoIdentity('bob.roe')));
    expect(key(ROOT_ID)).toBe('111122223333|root');
  });
});

describe('first seen', () => {
  const reason =
    /^first session or command by role ContractorAccess in 30 days \(no earlier session or command known\)$/;

  it('its reason joins every other finding of the same call, without raising them', async () => {
    const findings = await one(variant(SEND, { userIdentity: START.userIdentity }), {
      seen: {},
      config: { trustedCidrs: ['10.0.0.0/8'] },
    });
    expect(summary(findings)).toEqual([
      ['run-command-send', 'HIGH'],
      ['session-untrusted-network', 'MEDIUM'],
      ['principal-first-seen', 'LOW'],
    ]);
    for (const f of findings) expect(f.reasons.filter((r) => reason.test(r))).toHaveLength(1);
    expect(findings[2]).toMatchObject({ category: 'first-seen' });
  });

  it('once: the next call of the principal is known; an unknown baseline says nothing', async () => {
    const later = variant(START, { eventTime: at(5) });
    const results = await run([variant(START), later], { seen: {} });
    expect(results.map(ids)).toEqual([
      ['session-start-shell', 'principal-first-seen'],
      ['session-start-shell'],
    ]);
    expect(ids(await one(variant(START)))).toEqual(['session-start-shell']);
  });

  it('a principal last seen past firstSeen.days is first seen again', async () => {
    const lastMs = Date.parse(at(0)) - 31 * 86_400_000;
    expect(ids(await one(variant(START), { seen: { lastMs } }))).toContain('principal-first-seen');
    expect(
      ids(await one(variant(START), { seen: { lastMs }, config: { firstSeen: { days: 60 } } })),
    ).not.toContain('principal-first-seen');
  });
});

describe('every example through the record pipeline gives what the example runner gives', () => {
  const cases = SESSION_RULES.flatMap((rule) =>
    [...examplesOf(rule.id)].map(([name, e]) => ({ label: `${rule.id}: ${name}`, e })),
  );

  it.each(cases)('$label', async ({ e }) => {
    const record = (e.record ?? e.event) as Json;
    const context = contextOf(e, record);
    const deps = await makeContext(context);
    for (const prev of context.previous ?? []) await classifyRecord(prev, deps);
    const piped = await classifyRecord(record, deps);
    const expected = runExample(e);
    expect(piped.error).toEqual(expected.error);
    // The missing-transcript judgement is the sweep's (a `silence` example), not the record pipeline's.
    const judged = expected.findings.filter((f) => f.ruleId !== 'session-missing-transcript');
    expect(summary(piped.findings)).toEqual(summary(judged));
  });
});

describe('a command’s ids are not identities', () => {
  it('an e-mail written into an instance id, a tag value or the command id never reaches a finding', async () => {
    const email = 'jane.doe@example.org';
    const record = variant(
      SEND,
      {},
      {
        instanceIds: [email],
        targets: [{ key: 'tag:Owner', values: [email] }],
      },
    );
    (record.responseElements as { command: Json }).command.commandId = email;
    const findings = await one(record);
    expect(ids(findings)).toEqual(['run-command-send']);
    expect(JSON.stringify(findings)).not.toContain('jane.doe');
  });
});
