import type { Digest, DigestRule, IncidentNote } from '../model/digest';
import type { Finding, Severity } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import { ACTION_IDS, buttonValue } from '../slack/button';
import { type ConsoleLink, consoleLinks } from './links';
import { field, oneLine } from './sanitize';
import { digestRules, digestTitle, EVIDENCE_MAX, evidenceLine, incidentLine, incidentLinks } from './text';

/** Block Kit limits (Slack reference: blocks, composition objects). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  fallbackText: 3000,
} as const;

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
  verbatim?: boolean;
}

export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | { type: 'actions'; block_id: string; elements: Button[] };

/** A Block Kit button; `confirm` asks before Slack sends the action. */
export interface Button {
  type: 'button';
  action_id: string;
  text: TextObject;
  value: string;
  style?: 'danger' | 'primary';
  confirm?: {
    title: TextObject;
    text: TextObject;
    confirm: TextObject;
    deny: TextObject;
    style?: 'danger' | 'primary';
  };
}

/** Buttons under an alert (alerts.slackActions): present only when the action endpoint is deployed. */
export interface SlackRenderOptions {
  actions?: { suppressHours: number };
}

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

const EMOJI: Record<Severity, string> = {
  CRITICAL: ':rotating_light:',
  HIGH: ':red_circle:',
  MEDIUM: ':large_orange_circle:',
  LOW: ':large_yellow_circle:',
  INFORMATIONAL: ':information_source:',
};

/** Slack's three control characters; everything Slack treats as a link, mention or command starts with `<`. */
function escapeEntities(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Break bare broadcast keywords with a word joiner so no client setting (link_names) turns them into pings.
function breakMentions(value: string): string {
  return value.replace(/([@!])(here|channel|everyone)\b/gi, '$1\u2060$2');
}

/**
 * Escape user-controlled text for mrkdwn outside code: `& < >`, broadcast keywords, and the formatting
 * markers `* _ ~ \``, which are replaced by look-alikes so a value can never open or close formatting.
 */
export function escapeMrkdwn(value: string): string {
  return breakMentions(escapeEntities(oneLine(value)))
    .replace(/\*/g, '∗')
    .replace(/_/g, 'ˍ')
    .replace(/~/g, '∼')
    .replace(/`/g, 'ˋ');
}

/**
 * A user-controlled value as inline code of at most `max` characters: Slack applies no formatting
 * inside code, so only the entities, mentions and the backtick (which would close the span) need
 * neutralising. The span is cut inside, never its closing backtick.
 */
export function mrkdwnCode(value: string, max = 300): string {
  const inner = breakMentions(escapeEntities(oneLine(value))).replace(/`/g, 'ˋ');
  return `\`${fitMrkdwn(inner, max - 2)}\``;
}

/** Cut escaped mrkdwn to `max` characters without splitting an `&…;` entity. */
function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** plain_text is never parsed for mentions or links, but Slack still reads `& < >` as entities there. */
function plain(text: string, max: number): TextObject {
  return { type: 'plain_text', text: fitMrkdwn(breakMentions(escapeEntities(text)), max), emoji: true };
}

function mrkdwn(text: string, max: number): TextObject {
  return { type: 'mrkdwn', text: fitMrkdwn(text, max), verbatim: true };
}

/** Plain-text notification fallback (also what screen readers and old clients show). */
export function slackFallback(finding: Finding, note?: IncidentNote): string {
  const where = finding.target ? ` on ${finding.target}` : '';
  const who = finding.principal ? ` by ${finding.principal.arn}` : '';
  const escalated = note?.kind === 'escalated' ? 'Escalated: ' : '';
  return fitMrkdwn(
    escapeMrkdwn(`[${finding.severity}] ${escalated}${finding.title}${where}${who}`),
    SLACK_LIMITS.fallbackText,
  );
}

/**
 * Block Kit message for one finding: header with severity, facts as fields, why, masked evidence,
 * what to do, and a context line with the rule and console links. User-controlled strings appear only
 * as plain_text or escaped inline code, so they cannot mention, link or format.
 */
export function renderSlack(
  finding: Finding,
  rule?: RuleMeta,
  note?: IncidentNote,
  options: SlackRenderOptions = {},
): SlackMessage {
  const blocks: Block[] = [
    {
      type: 'header',
      text: plain(
        `${EMOJI[finding.severity] ?? ''} ${field(finding.severity, 20)}: ${field(finding.title, 200)}`,
        SLACK_LIMITS.headerText,
      ),
    },
  ];
  // Where this alert stands in its incident (first alert, escalation), right under the header.
  const incident = incidentLine(finding, note);
  if (incident) {
    const mark = note?.kind === 'escalated' ? ':arrow_double_up:' : ':pushpin:';
    blocks.push({ type: 'context', elements: [plain(`${mark} ${incident}`, SLACK_LIMITS.sectionText)] });
  }

  const facts: Array<[string, string | undefined]> = [
    ['Principal', finding.principal && `${finding.principal.arn} (${finding.principal.type})`],
    ['Target', finding.target],
    ['Session', finding.sessionId],
    ['Account / Region', [finding.account, finding.region].filter(Boolean).join(' / ') || undefined],
    ['Time', finding.time],
    ['Category', finding.category],
    ['Session kind', finding.sessionKind ?? finding.documentName],
    ['Source IP', finding.sourceIp],
    ['Occurrences', finding.count === undefined ? undefined : String(finding.count)],
  ];
  const fields = facts
    .filter((f): f is [string, string] => Boolean(f[1]))
    .slice(0, SLACK_LIMITS.fields)
    .map(([label, value]) => mrkdwn(`*${label}*\n${mrkdwnCode(value, 500)}`, SLACK_LIMITS.fieldText));
  if (fields.length) blocks.push({ type: 'section', fields });

  const description = rule?.description ? `${oneLine(rule.description)}\n` : '';
  const reasons = finding.reasons.slice(0, EVIDENCE_MAX).map((r) => `• ${field(r, 300)}`);
  if (description || reasons.length) {
    blocks.push({
      type: 'section',
      text: plain(
        `${description}${reasons.length ? `Why:\n${reasons.join('\n')}` : ''}`.trim(),
        SLACK_LIMITS.sectionText,
      ),
    });
  }

  blocks.push(...evidenceBlocks(finding));

  if (rule?.playbook.length) {
    const steps = rule.playbook.map((s, i) => `${i + 1}. ${field(s, 300)}`).join('\n');
    blocks.push({ type: 'section', text: plain(`What to do:\n${steps}`, SLACK_LIMITS.sectionText) });
  }

  const context: TextObject[] = [mrkdwn(`Rule ${mrkdwnCode(finding.ruleId, 100)}`, 300)];
  context.push(...linkElements(consoleLinks(finding)));
  context.push(mrkdwn(`Finding ${mrkdwnCode(finding.id, 100)}`, 300));
  blocks.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) });

  const actions = options.actions && actionsBlock(finding, options.actions.suppressHours);
  // The buttons always make it in: the limit cuts the content before them.
  const kept = blocks.slice(0, SLACK_LIMITS.blocks - (actions ? 1 : 0));
  return { text: slackFallback(finding, note), blocks: actions ? [...kept, actions] : kept };
}

/**
 * Terminate (danger, confirmed first), Acknowledge, Suppress similar: for findings with a session
 * only. The responder's own findings get no Terminate (the session is already the subject of one).
 * Labels are ours; the value carries the finding's masked facts (shared/slack/button.ts).
 */
function actionsBlock(finding: Finding, suppressHours: number): Block | undefined {
  const value = buttonValue(finding);
  if (!value) return undefined;
  const hours = Math.max(1, Math.trunc(suppressHours));
  const elements: Button[] = [];
  if (finding.category !== 'session-terminated') {
    elements.push({
      type: 'button',
      action_id: ACTION_IDS.terminate,
      text: plain('Terminate session', 75),
      style: 'danger',
      value,
      confirm: {
        title: plain('Terminate this session?', 100),
        text: plain(
          'Session Manager ends the session now. Exempt principals, the hourly cap and dry-run still apply.',
          300,
        ),
        confirm: plain('Terminate', 30),
        deny: plain('Cancel', 30),
        style: 'danger',
      },
    });
  }
  elements.push(
    { type: 'button', action_id: ACTION_IDS.acknowledge, text: plain('Acknowledge', 75), value },
    {
      type: 'button',
      action_id: ACTION_IDS.suppress,
      text: plain(`Suppress similar for ${hours} h`, 75),
      value,
    },
  );
  return { type: 'actions', block_id: 'ssm-sentinel-actions', elements };
}

/** Console links: the only markup built here, from URLs links.ts assembled out of validated parts. */
function linkElements(links: ConsoleLink[]): TextObject[] {
  return links.map((link) => mrkdwn(`<${escapeEntities(link.url)}|${link.label}>`, 3000));
}

/**
 * Block Kit message for the digest of one incident window: header, who/where/when as fields, the
 * rules with their counts and masked excerpts, how many rules were left out, and a context with the
 * digest id and console links. Every digest string is treated as hostile: plain_text or escaped code.
 */
export function renderSlackDigest(digest: Digest): SlackMessage {
  const { incident } = digest;
  const title = digestTitle(digest);
  const blocks: Block[] = [
    {
      type: 'header',
      text: plain(
        `${EMOJI[digest.severity] ?? ''} ${field(digest.severity, 20)} ${title}`,
        SLACK_LIMITS.headerText,
      ),
    },
  ];

  const who = incident.principal && `${incident.principal.arn} (${incident.principal.type})`;
  const facts: Array<[string, string | undefined]> = [
    ['Principal', who],
    ['Target', incident.target],
    ['Session', incident.sessionId],
    ['Account / Region', [incident.account, incident.region].filter(Boolean).join(' / ') || undefined],
    ['Window', `${digest.window.start} – ${digest.window.end}`],
    ['Category', incident.category],
    ['Session kind', incident.sessionKind],
    ['Source IP', incident.sourceIp],
    [
      'Findings',
      `${digest.total} (${digest.alerted} alerted at once, ${Math.max(0, digest.total - digest.alerted)} new)`,
    ],
  ];
  const fields = facts
    .filter((f): f is [string, string] => Boolean(f[1]))
    .slice(0, SLACK_LIMITS.fields)
    .map(([label, value]) => mrkdwn(`*${label}*\n${mrkdwnCode(value, 500)}`, SLACK_LIMITS.fieldText));
  blocks.push({ type: 'section', fields });

  const { rules, more } = digestRules(digest);
  blocks.push(...chunkedSections('*By rule (masked)*', rules.map(digestRuleLine)));
  if (more > 0) {
    blocks.push({
      type: 'context',
      elements: [plain(`… and ${more} more rule${more === 1 ? '' : 's'}`, SLACK_LIMITS.sectionText)],
    });
  }

  const context: TextObject[] = [
    mrkdwn(`Digest ${mrkdwnCode(digest.id, 100)}`, 300),
    mrkdwn(`Window ${mrkdwnCode(String(digest.window.number), 30)}`, 100),
    ...linkElements(incidentLinks(digest)),
  ];
  blocks.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) });

  const fallback = `[${digest.severity}] ${title}`;
  return {
    text: fitMrkdwn(escapeMrkdwn(fallback), SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/** `• *HIGH* 3 × \`title\` \`rule-id\`` and, on the next line, the masked excerpt as code. */
function digestRuleLine(rule: DigestRule): string {
  const head = `• *${escapeMrkdwn(field(rule.severity, 20))}* ${rule.count} × ${mrkdwnCode(rule.title, 200)} ${mrkdwnCode(rule.ruleId, 100)}`;
  return rule.excerpt ? `${head}\n      ${mrkdwnCode(rule.excerpt, 300)}` : head;
}

/**
 * mrkdwn lines as sections under one heading, split so each section stays within Slack's text limit;
 * each line is bounded well below it.
 */
function chunkedSections(heading: string, lines: string[]): Block[] {
  const blocks: Block[] = [];
  let chunk: string[] = [];
  let size = heading.length + 1;
  const flush = () => {
    if (!chunk.length) return;
    const text = `${blocks.length ? '' : `${heading}\n`}${chunk.join('\n')}`;
    blocks.push({ type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) });
    chunk = [];
    size = 0;
  };
  for (const line of lines) {
    if (size + line.length + 1 > SLACK_LIMITS.sectionText) flush();
    chunk.push(line);
    size += line.length + 1;
  }
  flush();
  return blocks;
}

/** Masked evidence as code blocks, split so each section stays within Slack's text limit. */
function evidenceBlocks(finding: Finding): Block[] {
  if (!finding.evidence.length) return [];
  const lines = finding.evidence.slice(0, EVIDENCE_MAX).map((e) => escapeCodeBlockLine(evidenceLine(e)));
  const more = finding.evidence.length - EVIDENCE_MAX;
  if (more > 0) lines.push(`… and ${more} more`);
  const blocks: Block[] = [];
  const head = '*Evidence (masked)*\n';
  let chunk: string[] = [];
  const flush = () => {
    if (!chunk.length) return;
    const prefix = blocks.length ? '' : head;
    blocks.push({
      type: 'section',
      text: mrkdwn(`${prefix}\`\`\`${chunk.join('\n')}\`\`\``, SLACK_LIMITS.sectionText),
    });
    chunk = [];
  };
  let size = 0;
  for (const line of lines) {
    // Head, fences and newlines take < 40 characters; each line is bounded well below the limit.
    if (size + line.length + 1 > SLACK_LIMITS.sectionText - 40) {
      flush();
      size = 0;
    }
    chunk.push(line);
    size += line.length + 1;
  }
  flush();
  return blocks;
}

/** One evidence line inside a code block: bounded so a block always closes within the text limit. */
function escapeCodeBlockLine(line: string): string {
  return fitMrkdwn(breakMentions(escapeEntities(line)).replace(/`/g, 'ˋ'), 1000);
}
