import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '#shared/model/cloudtrail';
import { parseConfig } from '#shared/model/config';
import { normalise, parseRecord } from '#shared/session/index';
import { CLOUDTRAIL_FIXTURES, readJson } from './helpers';

const stratus = readJson(join(CLOUDTRAIL_FIXTURES, 'stratus-ssm-start-session.detonation.json')) as Array<
  Record<string, unknown>
>;
const iamStart = stratus.find((r) => r.eventName === 'StartSession')!;
const iamTerminate = stratus.find((r) => r.eventName === 'TerminateSession')!;
const sso = readJson(join(CLOUDTRAIL_FIXTURES, 'panther-start-session-sso.json')) as Record<string, unknown>;
const role = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')) as Record<string, unknown>;

function parsed(raw: unknown): CloudTrailRecord {
  const r = parseRecord(raw);
  if (!r.ok) throw new Error(r.error);
  return r.record;
}

/** A deep copy typed loosely enough to edit nested members in a test. */
// biome-ignore lint/suspicious/noExplicitAny: test data edited by path
type Loose = any;
function copy(v: unknown): Loose {
  return structuredClone(v);
}

function withRequest(params: Record<string, unknown>) {
  return parsed({ ...role, requestParameters: { ...(role.requestParameters as object), ...params } });
}

describe('normalise: session events', () => {
  it('reads a start from the attacker scenario', () => {
    const ev = normalise(parsed(role))!;
    expect(ev).toMatchObject({
      action: 'start',
      kind: 'shell',
      target: 'i-0e57975fb4405c6a9',
      sessionId: 'mallory-g7ob4wkz5r5f6ky4ng257scvtx',
      sourceIp: '203.0.113.149',
      sourceIsService: false,
      account: '111122223333',
      region: 'us-east-1',
      time: '2026-11-22T02:03:28Z',
      eventId: '8f5cf6dd-b351-4996-9b4c-8d66ed7b1e17',
    });
    expect(ev.principal).toMatchObject({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
      name: 'mallory',
      roleName: 'ContractorAccess',
      mfa: false,
      sso: false,
      longTermKey: false,
      root: false,
      client: 'sdk',
    });
  });

  it('takes the terminated session id from the request', () => {
    expect(normalise(parsed(iamTerminate))).toMatchObject({
      action: 'terminate',
      sessionId: 'christophe-wzleysigzmbd6fmkefjqvt5w4u',
    });
  });

  it.each([
    [undefined, 'shell'],
    ['SSM-SessionManagerRunShell', 'shell'],
    ['AWS-StartPortForwardingSession', 'port-forward-local'],
    ['AWS-StartPortForwardingSessionToRemoteHost', 'port-forward-remote'],
    ['AWS-StartSSHSession', 'ssh'],
    ['AWS-StartInteractiveCommand', 'interactive-command'],
    ['AWS-StartNonInteractiveCommand', 'non-interactive-command'],
    ['Acme-Tunnel', 'custom'],
    ['constructor', 'custom'],
    ['arn:aws:ssm:us-east-1::document/AWS-StartSSHSession', 'ssh'],
  ])('documentName %s → %s', (documentName, kind) => {
    expect(normalise(withRequest({ documentName }))?.kind).toBe(kind);
  });

  it('reads ports and host from parameters (arrays of strings)', () => {
    const ev = normalise(
      withRequest({
        documentName: 'AWS-StartPortForwardingSessionToRemoteHost',
        parameters: { host: ['db.internal'], portNumber: ['5432'], localPortNumber: ['15432'] },
      }),
    );
    expect(ev).toMatchObject({
      kind: 'port-forward-remote',
      host: 'db.internal',
      port: 5432,
      localPort: 15432,
    });
  });

  it.each([
    [{ portNumber: ['70000'] }, undefined],
    [{ portNumber: ['0'] }, undefined],
    [{ portNumber: ['22; rm -rf /'] }, undefined],
    [{ portNumber: '8080' }, 8080],
    [{ portNumber: [443] }, 443],
    [{ portNumber: [] }, undefined],
    ['not an object', undefined],
  ])('port from %j → %s', (parameters, port) => {
    expect(normalise(withRequest({ documentName: 'AWS-StartPortForwardingSession', parameters }))?.port).toBe(
      port,
    );
  });

  it('defaults the SSH port to 22', () => {
    expect(normalise(withRequest({ documentName: 'AWS-StartSSHSession' }))?.port).toBe(22);
  });

  it('keeps a summary of a reason, ignores a blank one', () => {
    expect(normalise(withRequest({ reason: ' OPS-1 ' }))?.reason).toEqual({ length: 5, excerpt: 'OPS-1' });
    expect(
      normalise(withRequest({ reason: 'OPS-2 for alice@example.com, card 4111 1111 1111 1111' }))?.reason,
    ).toEqual({
      length: 53,
      excerpt: 'OPS-2 for a***@e***.com, card 4111 **** **** 1111',
    });
    expect(normalise(withRequest({ reason: '  ' }))?.reason).toBeUndefined();
  });

  it('clips huge members', () => {
    const ev = normalise(withRequest({ target: `i-${'a'.repeat(100_000)}` }))!;
    expect(ev.target!.length).toBeLessThan(300);
  });

  it('ignores events outside session classification', () => {
    expect(
      normalise(parsed(stratus.find((r) => r.eventName === 'DescribeInstanceInformation'))),
    ).toBeUndefined();
    expect(normalise(parsed({ ...role, eventSource: 'ec2.amazonaws.com' }))).toBeUndefined();
    expect(normalise(parsed({ ...role, eventSource: 'constructor', eventName: 'toString' }))).toBeUndefined();
  });

  it('derives a stable key when eventID is missing', () => {
    const { eventID: _, ...rest } = role;
    const a = normalise(parsed(rest))!;
    const b = normalise(parsed(structuredClone(rest)))!;
    expect(a.eventKey).toMatch(/^sha:/);
    expect(a.eventKey).toBe(b.eventKey);
    expect(a.eventId).toBeUndefined();
  });
});

describe('normalise: principals', () => {
  it('IAM user with a long-term key (stratus)', () => {
    expect(normalise(parsed(iamStart))!.principal).toMatchObject({
      type: 'IAMUser',
      name: 'christophe',
      longTermKey: true,
      mfa: undefined,
      root: false,
      client: 'other',
    });
  });

  it('SSO role session (Panther), region in the issuer path', () => {
    expect(normalise(parsed(sso))!.principal).toMatchObject({
      type: 'AssumedRole',
      sso: true,
      name: 'bobson.dugnutt',
      mfa: false,
    });
  });

  it('SSO permission set from AWSReservedSSO_<set>_<hex>', () => {
    const id = copy(sso.userIdentity);
    id.arn =
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DB_Admins_0a1b2c3d4e5f6789/jane@example.com';
    id.sessionContext.sessionIssuer.arn =
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DB_Admins_0a1b2c3d4e5f6789';
    id.sessionContext.sessionIssuer.userName = 'AWSReservedSSO_DB_Admins_0a1b2c3d4e5f6789';
    expect(normalise(parsed({ ...sso, userIdentity: id }))!.principal).toMatchObject({
      sso: true,
      ssoPermissionSet: 'DB_Admins',
      // An SSO role-session name is the user's e-mail: personal data, masked like any other.
      name: 'jane@example.com',
    });
  });

  it('root user from the console', () => {
    const p = normalise(
      parsed({
        ...role,
        sessionCredentialFromConsole: 'true',
        userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
      }),
    )!.principal;
    expect(p).toMatchObject({ root: true, name: 'root', client: 'console' });
  });

  it.each([
    ['true', true],
    [true, true],
    ['false', false],
    ['yes', undefined],
  ])('mfaAuthenticated %j → %s', (mfaAuthenticated, mfa) => {
    const id = copy(role.userIdentity);
    id.sessionContext.attributes.mfaAuthenticated = mfaAuthenticated;
    expect(normalise(parsed({ ...role, userIdentity: id }))!.principal.mfa).toBe(mfa);
  });

  it('instance credentials', () => {
    const id = copy(role.userIdentity);
    id.arn = 'arn:aws:sts::111122223333:assumed-role/WebServerRole/i-0abc1234def567890';
    expect(normalise(parsed({ ...role, userIdentity: id }))!.principal.instanceCredentials).toBe(true);
    id.arn = 'arn:aws:sts::111122223333:assumed-role/WebServerRole/session';
    id.sessionContext.ec2RoleDelivery = '2.0';
    expect(normalise(parsed({ ...role, userIdentity: id }))!.principal.instanceCredentials).toBe(true);
  });

  it.each([
    [
      { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/bob' },
      'bob',
      'arn:aws:sts::111122223333:federated-user/bob',
    ],
    [{ type: 'AWSService', invokedBy: 'ssm.amazonaws.com' }, 'ssm.amazonaws.com', 'ssm.amazonaws.com'],
    [
      {
        type: 'IdentityCenterUser',
        onBehalfOf: { userId: 'u-1', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' },
      },
      undefined,
      'arn:aws:identitystore::1:identitystore/d-1/user/u-1',
    ],
    [{ type: 'Unknown', principalId: 'AIDAEXAMPLE', userName: 'legacy' }, 'legacy', 'AIDAEXAMPLE'],
    [{}, undefined, 'unknown'],
  ])('%j → name %s, arn %s', (userIdentity, name, arn) => {
    const p = normalise(parsed({ ...role, userIdentity }))!.principal;
    expect(p.name).toBe(name);
    expect(p.arn).toBe(arn);
  });

  it.each([
    ['aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2 prompt/off command/ssm.start-session', 'cli'],
    ['Boto3/1.34.84 md/Botocore#1.34.84', 'sdk'],
    ['console.amazonaws.com', 'console'],
    [undefined, 'unknown'],
  ])('user agent %s → %s', (userAgent, client) => {
    expect(normalise(parsed({ ...role, userAgent }))!.principal.client).toBe(client);
  });
});

describe('normalise: preferences and tampering', () => {
  const doc = (name: string, extra: Record<string, unknown> = {}) =>
    parsed({
      ...role,
      eventName: 'UpdateDocument',
      requestParameters: { name, ...extra },
      responseElements: null,
    });

  it('recognises the preferences document and configured ones', () => {
    expect(normalise(doc('SSM-SessionManagerRunShell'))).toMatchObject({
      action: 'preferences-change',
      resourceName: 'SSM-SessionManagerRunShell',
    });
    // Any other document whose type the update does not show may run on instances: document abuse.
    expect(normalise(doc('Team-Prefs'))).toMatchObject({
      action: 'document-change',
      resourceName: 'Team-Prefs',
      documentType: undefined,
    });
    expect(normalise(doc('Team-Prefs'), parseConfig({ preferencesDocuments: ['Team-Prefs'] }))?.action).toBe(
      'preferences-change',
    );
    expect(normalise(doc('X', { documentType: 'Session' }))?.documentType).toBe('Session');
  });

  it('scopes pipeline APIs by the resource prefix and strips Lambda version suffixes', () => {
    const call = (eventSource: string, eventName: string, requestParameters: Record<string, unknown>) =>
      parsed({ ...role, eventSource, eventName, requestParameters, responseElements: null });
    expect(
      normalise(
        call('lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2', {
          functionName: 'ssm-sentinel-notifier',
        }),
      ),
    ).toMatchObject({ action: 'monitor-tampering', resourceName: 'ssm-sentinel-notifier' });
    expect(
      normalise(call('lambda.amazonaws.com', 'DeleteFunction20150331', { functionName: 'billing' })),
    ).toBeUndefined();
    expect(
      normalise(
        call('sqs.amazonaws.com', 'PurgeQueue', {
          queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/ssm-sentinel-dlq',
        }),
      ),
    ).toMatchObject({ action: 'monitor-tampering' });
    expect(normalise(call('cloudtrail.amazonaws.com', 'StopLogging', { name: 'any-trail' }))?.action).toBe(
      'monitor-tampering',
    );
  });
});
