import type { Category, Finding } from '../model/finding';
import { isIpAddress } from './redact';
import { field } from './sanitize';

/**
 * Finding → AWS Security Finding Format (ASFF), the shape Security Hub's BatchImportFindings takes.
 * Pure: no SDK types, only the fields we fill. The ASFF Id is derived from our deterministic finding
 * id, so a redelivered or replayed finding updates the same Security Hub finding instead of adding one.
 * Evidence excerpts are already masked; nothing here adds raw values, and every text member passes
 * the one sanitiser (control, bidi and invisible characters go, lengths are bounded).
 */

export type AwsPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface AsffResource {
  Type: string;
  Id: string;
  Partition?: AwsPartition;
  Region?: string;
  Details?: { Other?: Record<string, string> };
}

export interface AsffFinding {
  SchemaVersion: '2018-10-08';
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: Finding['severity']; Original: string };
  Title: string;
  Description: string;
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Region?: string;
  Network?: { Direction: 'IN'; SourceIpV4?: string; SourceIpV6?: string };
  RecordState: 'ACTIVE';
  Workflow: { Status: 'NEW' };
  CompanyName: string;
  ProductName: string;
}

export interface AsffContext {
  /** Account and region of the Security Hub that imports (the product ARN's). */
  account: string;
  region: string;
  /** ISO time of this import (UpdatedAt). */
  now: string;
}

const TITLE_MAX = 256;
const DESCRIPTION_MAX = 1024;
const PRODUCT_FIELD_MAX = 2048;
/** ASFF allows 50 product fields; keep room for the fixed ones. */
const MAX_EVIDENCE_FIELDS = 10;

/** Category → ASFF finding type(s): namespace/category[/classifier]. */
const CATEGORY_TYPES: Record<Category, string> = {
  'session-start': 'Unusual Behaviors/User',
  'port-forwarding': 'TTPs/Lateral Movement',
  'ssh-tunnel': 'TTPs/Lateral Movement',
  'access-denied': 'Unusual Behaviors/User',
  'privileged-principal': 'Software and Configuration Checks/AWS Security Best Practices',
  'production-target': 'Unusual Behaviors/User',
  'untrusted-network': 'Unusual Behaviors/Network Flow',
  'off-hours': 'Unusual Behaviors/User',
  'missing-reason': 'Software and Configuration Checks/AWS Security Best Practices',
  'session-resumed': 'Unusual Behaviors/User',
  'preferences-tampering': 'TTPs/Defense Evasion',
  'monitor-tampering': 'TTPs/Defense Evasion',
  'risky-command': 'TTPs/Execution',
  secret: 'Sensitive Data Identifications/Security',
  pii: 'Sensitive Data Identifications/PII',
  'scan-error': 'Software and Configuration Checks',
  'session-terminated': 'Unusual Behaviors/User',
  'run-command': 'TTPs/Execution',
  'document-abuse': 'TTPs/Persistence',
  'lateral-movement': 'TTPs/Lateral Movement',
  'first-seen': 'Unusual Behaviors/User',
  'missing-transcript': 'TTPs/Defense Evasion',
};

/** Evidence kinds that say more than the category does. */
const KIND_TYPES: Record<string, string> = {
  REVERSE_SHELL: 'TTPs/Command and Control',
  IMDS_CREDENTIAL_ACCESS: 'TTPs/Credential Access',
  SHADOW_READ: 'TTPs/Credential Access',
  PRIVILEGE_ESCALATION: 'TTPs/Privilege Escalation',
  SUDOERS_TAMPERING: 'TTPs/Privilege Escalation',
  AGENT_STOPPED: 'TTPs/Defense Evasion',
  AGENT_HIJACK: 'TTPs/Persistence',
  HISTORY_TAMPERING: 'TTPs/Defense Evasion',
  DEFENSE_EVASION: 'TTPs/Defense Evasion',
  PERSISTENCE_SSH_KEY: 'TTPs/Persistence',
  USER_CREATED: 'TTPs/Persistence',
  EXFILTRATION: 'Effects/Data Exfiltration',
  DOWNLOAD_EXECUTE: 'TTPs/Execution',
  PASSWORD: 'Sensitive Data Identifications/Passwords',
  CREDIT_DEBIT_NUMBER: 'Sensitive Data Identifications/Financial',
  CREDIT_DEBIT_CVV: 'Sensitive Data Identifications/Financial',
  CREDIT_DEBIT_EXPIRY: 'Sensitive Data Identifications/Financial',
  BANK_ACCOUNT_NUMBER: 'Sensitive Data Identifications/Financial',
  BANK_ROUTING: 'Sensitive Data Identifications/Financial',
  IBAN: 'Sensitive Data Identifications/Financial',
  PIN: 'Sensitive Data Identifications/Financial',
};

/** The partitions Security Hub's ASFF knows. */
export function partitionOf(region: string): AwsPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The account's own default product: the only product ARN an account may import into. */
export function productArn(account: string, region: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}:${account}:product/${account}/default`;
}

export function asffId(finding: Finding, ctx: Pick<AsffContext, 'account' | 'region'>): string {
  return field(
    `ssm-sentinel/${finding.account ?? ctx.account}/${finding.region ?? ctx.region}/${finding.id}`,
    512,
  );
}

export function toAsff(finding: Finding, ctx: AsffContext): AsffFinding {
  const account = field(finding.account ?? ctx.account, 64);
  const region = field(finding.region ?? ctx.region, 64);
  const time = validIso(finding.time) ?? ctx.now;
  const types = [CATEGORY_TYPES[finding.category], ...finding.evidence.map((e) => KIND_TYPES[e.kind])].filter(
    (t): t is string => t !== undefined,
  );
  const out: AsffFinding = {
    SchemaVersion: '2018-10-08',
    Id: asffId(finding, ctx),
    ProductArn: productArn(ctx.account, ctx.region),
    GeneratorId: field(`ssm-sentinel/${finding.ruleId}`, 512),
    AwsAccountId: account,
    Types: [...new Set(types)],
    CreatedAt: time,
    UpdatedAt: ctx.now,
    FirstObservedAt: time,
    LastObservedAt: time,
    Severity: { Label: finding.severity, Original: finding.severity },
    Title: field(finding.title || finding.ruleId, TITLE_MAX),
    Description: field(describe(finding), DESCRIPTION_MAX),
    ProductFields: productFields(finding),
    Resources: resources(finding, account, region),
    Region: region,
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
    CompanyName: 'ssm-sentinel',
    ProductName: 'ssm-sentinel',
  };
  // Security Hub takes addresses only here; a service name (`ssm.amazonaws.com`) is not one.
  const ip = finding.sourceIp;
  if (ip && isIpAddress(ip))
    out.Network = ip.includes(':')
      ? { Direction: 'IN', SourceIpV6: ip }
      : { Direction: 'IN', SourceIpV4: ip };
  return out;
}

function describe(f: Finding): string {
  const parts = [f.title];
  if (f.reasons.length) parts.push(`Reasons: ${f.reasons.join('; ')}.`);
  const who = f.principal?.arn;
  if (who) parts.push(`Principal: ${who}.`);
  if (f.sessionId) parts.push(`Session: ${f.sessionId}.`);
  if (f.target) parts.push(`Target: ${f.target}.`);
  if (f.evidence.length) {
    parts.push(
      `Evidence (masked): ${f.evidence.map((e) => `${e.kind}${e.count ? ` ×${e.count}` : ''}: ${e.excerpt}`).join('; ')}`,
    );
  }
  return parts.join(' ');
}

function productFields(f: Finding): Record<string, string> {
  const fields: Record<string, string> = {
    'ssm-sentinel/findingId': field(f.id, 128),
    'ssm-sentinel/ruleId': field(f.ruleId, 128),
    'ssm-sentinel/category': f.category,
    'ssm-sentinel/source': f.source,
  };
  const optional: Array<[string, string | number | undefined]> = [
    ['sessionId', f.sessionId],
    ['sessionKind', f.sessionKind],
    ['documentName', f.documentName],
    ['target', f.target],
    ['principalType', f.principal?.type],
    ['eventId', f.eventId],
    ['count', f.count],
  ];
  for (const [k, v] of optional)
    if (v !== undefined && v !== '') fields[`ssm-sentinel/${k}`] = field(String(v), PRODUCT_FIELD_MAX);
  f.evidence.slice(0, MAX_EVIDENCE_FIELDS).forEach((e, i) => {
    fields[`ssm-sentinel/evidence/${i + 1}`] = field(
      `${e.kind}: ${e.excerpt}${e.count ? ` (×${e.count})` : ''}`,
      PRODUCT_FIELD_MAX,
    );
  });
  return fields;
}

function resources(f: Finding, account: string, region: string): AsffResource[] {
  const partition = partitionOf(region);
  const out: AsffResource[] = [];
  const target = f.target;
  if (target && /^i-[0-9a-f]{8,17}$/.test(target)) {
    out.push({
      Type: 'AwsEc2Instance',
      Id: `arn:${partition}:ec2:${region}:${account}:instance/${target}`,
      Partition: partition,
      Region: region,
    });
  } else if (target && /^mi-[0-9a-f]{8,17}$/.test(target)) {
    out.push({
      Type: 'Other',
      Id: `arn:${partition}:ssm:${region}:${account}:managed-instance/${target}`,
      Partition: partition,
      Region: region,
    });
  }
  if (f.sessionId) {
    out.push({
      Type: 'Other',
      Id: field(`arn:${partition}:ssm:${region}:${account}:session/${f.sessionId}`, 512),
      Partition: partition,
      Region: region,
    });
  }
  const arn = f.principal?.arn;
  if (arn?.startsWith('arn:')) {
    const type = /:role\/|:assumed-role\//.test(arn)
      ? 'AwsIamRole'
      : /:user\//.test(arn)
        ? 'AwsIamUser'
        : 'Other';
    out.push({ Type: type, Id: field(arn, 512), Partition: partition });
  }
  // ASFF requires at least one resource: fall back to the account.
  if (out.length === 0)
    out.push({ Type: 'AwsAccount', Id: `AWS::::Account:${account}`, Partition: partition, Region: region });
  return out;
}

function validIso(s: string): string | undefined {
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
