import type { Evidence } from '../model/finding';
import { COMMAND_ROUTE } from '../session/apis';
import type { CloudTrailRule, Hit, SessionEvent } from '../session/types';

/**
 * Run Command: SendCommand and the start of an automation that runs commands. The most used path from
 * the API onto instances (credential theft from instances, lateral movement). CloudTrail replaces the
 * command text with HIDDEN_DUE_TO_SECURITY_REASONS, so the finding says where to read it. Composed like a
 * session start (classify.ts): a privileged principal outranks these, signals raise them a step.
 * Examples: `examples/<id>.json`.
 */

const RUN_COMMAND_DOCS = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command.html';
const ATTACK = 'https://attack.mitre.org/techniques/';
const CLOUD_ADMIN_COMMAND = `${ATTACK}T1651/`;
const READ_OUTPUT =
  'Read what ran: `aws ssm list-command-invocations --command-id <id> --details` (or the automation execution steps); CloudTrail hides the parameters.';
const CONFIRM =
  'Confirm with the principal (or their manager) that the command was intended and the targets right.';

function isCommand(ev: SessionEvent): boolean {
  return (ev.action === 'send-command' || ev.action === 'automation') && ev.errorCode === undefined;
}

/** What the command ran, on what, and where its text can be read. */
function describe(ev: SessionEvent): Hit {
  const c = ev.command;
  const doc = ev.documentName ?? '(no document)';
  const total = (c?.instanceCount ?? 0) + (c?.selectors.length ?? 0);
  const on =
    total === 0 ? 'no named target' : `${total} target${total === 1 ? '' : 's'} (${ev.target ?? ''})`;
  const reasons = [`${ev.eventName} of ${doc} on ${on}`];
  if (c?.parametersHidden)
    reasons.push(
      'command text hidden by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS): read the invocation output',
    );
  const evidence: Evidence[] = [{ kind: 'DOCUMENT', excerpt: doc }];
  if (total > 0) evidence.push({ kind: 'TARGETS', excerpt: ev.target ?? '', count: total });
  if (c?.id) evidence.push({ kind: 'COMMAND_ID', excerpt: c.id });
  return { reasons, evidence };
}

export const RUN_COMMAND_RULES: readonly CloudTrailRule[] = [
  {
    id: 'run-command-from-instance',
    category: 'run-command',
    severity: 'HIGH',
    title: 'Run Command sent from an instance',
    description:
      'SendCommand (or a command-running automation) was called with EC2 instance-role credentials: one instance runs code on others. Workloads rarely need this; an attacker on an instance with a broad role does (lateral movement).',
    playbook: [
      READ_OUTPUT,
      'Identify the calling instance (the role session name is its instance id) and why its role may call ssm:SendCommand.',
      'Isolate the calling instance and scope its role down if the command is unexpected.',
    ],
    references: [RUN_COMMAND_DOCS, CLOUD_ADMIN_COMMAND, `${ATTACK}T1021/007/`],
    role: 'kind',
    routes: [COMMAND_ROUTE],
    match: (ev) => {
      if (!isCommand(ev) || !ev.principal.instanceCredentials) return undefined;
      const hit = describe(ev);
      hit.reasons.push('called with EC2 instance-role credentials: an instance runs commands on instances');
      return hit;
    },
    examples: {
      match: ['instance role sends a shell script to two instances'],
      noMatch: ['operator role sends a command', 'instance role command denied'],
    },
  },
  {
    id: 'run-command-send',
    category: 'run-command',
    severity: 'MEDIUM',
    title: 'Command run on instances with Run Command',
    description:
      'SendCommand ran a document (AWS-RunShellScript, AWS-RunPowerShellScript or a custom Command document) on instances. Medium on its own; a long-term key, root, an untrusted network or a production target raise it.',
    playbook: [
      READ_OUTPUT,
      CONFIRM,
      'For unexpected commands: check the targets for new users, keys, processes and outbound connections.',
    ],
    references: [RUN_COMMAND_DOCS, CLOUD_ADMIN_COMMAND],
    role: 'kind',
    routes: [COMMAND_ROUTE],
    match: (ev) => (isCommand(ev) && ev.action === 'send-command' ? describe(ev) : undefined),
    examples: {
      match: [
        'AWS-RunShellScript on one instance',
        'custom document on a tag target',
        'PowerShell on 3 instances',
      ],
      noMatch: ['StartSession is not Run Command', 'SendCommand denied is access denied'],
    },
  },
  {
    id: 'run-command-automation',
    category: 'run-command',
    severity: 'MEDIUM',
    title: 'Automation that runs commands started',
    description:
      "StartAutomationExecution of the account's own runbook (which may hold aws:runCommand or aws:executeScript steps; CloudTrail does not show the content) or of an AWS runbook listed in runCommand.automationDocuments.",
    playbook: [
      'Open the automation execution (Systems Manager › Automation) and read its steps and outputs.',
      'Review the runbook content and its latest version author.',
      CONFIRM,
    ],
    references: [
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-automation.html',
      CLOUD_ADMIN_COMMAND,
    ],
    role: 'kind',
    routes: [COMMAND_ROUTE],
    match: (ev) => (isCommand(ev) && ev.action === 'automation' ? describe(ev) : undefined),
    examples: {
      match: ['custom runbook on an instance', 'AWS runbook listed in runCommand.automationDocuments'],
      noMatch: ['AWS-owned runbook not listed'],
    },
  },
];
