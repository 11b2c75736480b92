import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Block,
  escapeMrkdwn,
  mrkdwnCode,
  renderSlack,
  renderSlackDigest,
  SLACK_LIMITS,
  type SlackMessage,
  type TextObject,
} from '#shared/format/slack';
import { DIGEST_MAX_RULES, type Digest } from '#shared/model/digest';
import type { Finding } from '#shared/model/finding';
import { ButtonFactsSchema } from '#shared/slack/button';
import { HOSTILE, MASKED, makeDigest, makeFinding, principalDigest, RAW, RULE } from './findings';

function texts(msg: SlackMessage): TextObject[] {
  return msg.blocks.flatMap((b: Block) => {
    if (b.type === 'header') return [b.text];
    if (b.type === 'section') return [...(b.text ? [b.text] : []), ...(b.fields ?? [])];
    if (b.type === 'context') return b.elements;
    return [];
  });
}

// Console links are the only markup we emit ourselves.
const OUR_LINK =
  /<https:\/\/[a-z0-9.-]+\.(?:aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)\/[^\s<>|]+\|[A-Za-z0-9 ]+>/g;

/** Everything that makes a Slack mention, link, command or broken entity, outside our own links. */
function assertInert(text: string): void {
  const rest = text.replace(OUR_LINK, '');
  expect(rest).not.toMatch(/[<>]/);
  expect(rest).not.toMatch(/&(?!amp;|lt;|gt;)/);
  expect(rest).not.toMatch(/[@!](here|channel|everyone)\b/i);
}

/** mrkdwn texts have exactly the shapes we build: user values only inside closed code spans. */
function assertShape(t: TextObject): void {
  if (t.type !== 'mrkdwn') return;
  const shapes = [
    /^\*[A-Za-z /]+\*\n`[^`]*`$/, // field: label + value
    /^(\*Evidence \(masked\)\*\n)?```[^`]*```$/, // evidence block
    /^(Rule|Finding) `[^`]*`$/, // context ids
    /^<[^<>]+\|[A-Za-z0-9 ]+>$/, // context link
    /^(Digest|Window) `[^`]*`$/, // digest context
    // digest rules: `• *SEVERITY* n × `title` `rule`` and maybe an excerpt line, under one heading
    /^(\*By rule \(masked\)\*\n)?• \*[^*\n]*\* \d+ × `[^`\n]*` `[^`\n]*`(\n {6}`[^`\n]*`)?(\n• \*[^*\n]*\* \d+ × `[^`\n]*` `[^`\n]*`(\n {6}`[^`\n]*`)?)*$/,
  ];
  expect(
    shapes.some((re) => re.test(t.text)),
    t.text,
  ).toBe(true);
}

function assertLimits(msg: SlackMessage): void {
  expect(msg.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(msg.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const b of msg.blocks) {
    if (b.type === 'header') {
      expect(b.text.type).toBe('plain_text');
      expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    }
    if (b.type === 'section') {
      expect(b.text || b.fields).toBeTruthy();
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
  }
}

describe('renderSlack', () => {
  const msg = renderSlack(makeFinding(), RULE);

  it('builds header, facts, why, masked evidence, playbook and a context with rule and links', () => {
    expect(msg.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'section',
      'context',
    ]);
    expect(msg.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':red_circle: HIGH: AWS access key printed in a session',
        emoji: true,
      },
    });
    const fields = (msg.blocks[1] as { fields: TextObject[] }).fields.map((f) => f.text);
    expect(fields).toContain(
      '*Principal*\n`arn:aws:sts::123456789012:assumed-role/Admin/alice (AssumedRole)`',
    );
    expect(fields).toContain('*Target*\n`i-0abc1234def567890`');
    expect(fields).toContain('*Session*\n`alice-0a1b2c3d4e5f67890`');
    expect(fields).toContain('*Account / Region*\n`123456789012 / eu-west-1`');
    expect(fields).toContain('*Time*\n`2026-03-02T14:05:09Z`');
    const all = JSON.stringify(msg);
    expect(all).toContain(MASKED.accessKey);
    expect(all).toContain('1. Deactivate the key in IAM.');
    const context = msg.blocks.at(-1) as { elements: TextObject[] };
    expect(context.elements.map((e) => e.text)).toEqual([
      'Rule `tx-secret-aws-access-key`',
      '<https://eu-west-1.console.aws.amazon.com/systems-manager/session-manager/alice-0a1b2c3d4e5f67890?region=eu-west-1|Session history>',
      '<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/3e7c1a52-4b8d-4f0e-9a61-2d5c8b7e1f04|CloudTrail event>',
      '<https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc1234def567890|EC2 instance>',
      'Finding `5f1c0b7e9a2d4c6f8b0a1e3d5c7f9b2a`',
    ]);
    expect(msg.text).toBe(
      '[HIGH] AWS access key printed in a session on i-0abc1234def567890 by arn:aws:sts::123456789012:assumed-role/Admin/alice',
    );
  });

  it('carries no raw secret or personal value', () => {
    for (const raw of Object.values(RAW)) expect(JSON.stringify(msg)).not.toContain(raw);
  });

  it.each(Object.entries(HOSTILE))('neutralises %s in every user-controlled field', (_name, evil) => {
    const hostile = renderSlack(
      makeFinding({
        title: evil,
        target: evil,
        sessionId: evil,
        sourceIp: evil,
        sessionKind: evil,
        principal: { arn: evil, type: evil },
        reasons: [evil],
        evidence: [{ kind: evil, excerpt: evil }],
        ruleId: evil,
      }),
      RULE,
    );
    for (const t of texts(hostile)) {
      assertInert(t.text);
      assertShape(t);
    }
    assertInert(hostile.text);
    expect(hostile.text).not.toMatch(/[*_~`]/);
  });

  it('escapes & < > and breaks broadcast mentions', () => {
    expect(escapeMrkdwn('<!channel> & <@U1> @here *x*')).toBe(
      '&lt;!\u2060channel&gt; &amp; &lt;@U1&gt; @\u2060here ∗x∗',
    );
    expect(mrkdwnCode('a`b<c>')).toBe('`aˋb&lt;c&gt;`');
  });

  it('never cuts an entity or the closing backtick of a long value', () => {
    const code = mrkdwnCode('<'.repeat(1000), 50);
    expect(code.length).toBeLessThanOrEqual(50);
    expect(code).toMatch(/^`(&lt;)+…`$/);
  });

  it('stays within Block Kit limits for huge findings', () => {
    const big = 'x<&>'.repeat(5000);
    const huge = renderSlack(
      makeFinding({
        title: big,
        target: big,
        sessionId: big,
        principal: { arn: big, type: big, name: big },
        reasons: Array.from({ length: 500 }, () => big),
        evidence: Array.from({ length: 500 }, (_, i) => ({ kind: big, excerpt: `${big}${i}`, count: 3 })),
      }),
      { ...RULE, playbook: Array.from({ length: 100 }, () => big), description: big },
    );
    assertLimits(huge);
    for (const t of texts(huge)) assertShape(t);
    expect(JSON.stringify(huge)).toContain('… and 480 more');
  });

  it('holds limits and inertness for arbitrary field values', () => {
    const str = fc.string({ unit: 'binary', maxLength: 400 });
    fc.assert(
      fc.property(
        str,
        str,
        str,
        str,
        fc.array(fc.record({ kind: str, excerpt: str }), { maxLength: 30 }),
        (a, b, c, d, ev) => {
          const f: Finding = makeFinding({
            title: a,
            target: b,
            sessionId: c,
            principal: { arn: d, type: a },
            reasons: [b, c],
            evidence: ev,
          });
          const out = renderSlack(f, RULE);
          assertLimits(out);
          assertInert(out.text);
          for (const t of texts(out)) {
            assertInert(t.text);
            assertShape(t);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('renderSlack incident context', () => {
  const contextAfterHeader = (msg: SlackMessage) => {
    const second = msg.blocks[1];
    return second?.type === 'context' ? second.elements.map((e) => e.text) : undefined;
  };

  it('says under the header that more findings of the session come in one digest', () => {
    const msg = renderSlack(makeFinding(), RULE, { kind: 'opened', digestAt: '2026-03-02T14:20:09Z' });
    expect(contextAfterHeader(msg)).toEqual([
      ':pushpin: First alert for session alice-0a1b2c3d4e5f67890. Its further findings until 14:20 UTC come in one digest.',
    ]);
    expect(msg.blocks[1]).toMatchObject({ elements: [{ type: 'plain_text' }] });
  });

  it('marks an escalation in the context and the notification text', () => {
    const msg = renderSlack(makeFinding({ severity: 'CRITICAL' }), RULE, { kind: 'escalated' });
    expect(contextAfterHeader(msg)).toEqual([
      ':arrow_double_up: This session reached CRITICAL; its first alert was sent earlier.',
    ]);
    expect(msg.text.startsWith('[CRITICAL] Escalated: AWS access key printed in a session')).toBe(true);
  });

  it('adds nothing for a single alert or without a note', () => {
    const plain = renderSlack(makeFinding(), RULE);
    expect(contextAfterHeader(plain)).toBeUndefined();
    expect(renderSlack(makeFinding(), RULE, { kind: 'single' })).toEqual(plain);
  });

  it.each(Object.entries(HOSTILE))('keeps %s in a session id inert in the incident line', (_name, evil) => {
    const msg = renderSlack(makeFinding({ sessionId: `${evil}\n${'z'.repeat(10_000)}` }), RULE, {
      kind: 'opened',
      digestAt: evil,
    });
    const line = contextAfterHeader(msg)?.[0] ?? '';
    expect(line).toMatch(
      /^:pushpin: First alert for session .* in this incident window come in one digest\.$/,
    );
    assertInert(line);
    assertLimits(msg);
  });
});

describe('renderSlackDigest', () => {
  const msg = renderSlackDigest(makeDigest({ omittedRules: 4 }));

  it('builds header, facts, the rules with counts and excerpts, more rules and a context', () => {
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context', 'context']);
    expect(msg.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':red_circle: HIGH Digest: 12 findings in session alice-0a1b2c3d4e5f67890 on i-0abc1234def567890',
        emoji: true,
      },
    });
    const fields = (msg.blocks[1] as { fields: TextObject[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Principal*\n`arn:aws:sts::123456789012:assumed-role/Admin/alice (AssumedRole)`',
      '*Target*\n`i-0abc1234def567890`',
      '*Session*\n`alice-0a1b2c3d4e5f67890`',
      '*Account / Region*\n`123456789012 / eu-west-1`',
      '*Window*\n`2026-03-02T14:05:09Z – 2026-03-02T14:20:09Z`',
      '*Category*\n`secret`',
      '*Session kind*\n`shell`',
      '*Source IP*\n`203.0.113.7`',
      '*Findings*\n`12 (1 alerted at once, 11 new)`',
    ]);
    expect((msg.blocks[2] as { text: TextObject }).text.text).toBe(
      [
        '*By rule (masked)*',
        '• *HIGH* 3 × `AWS access key printed in a session` `tx-secret-aws-access-key`',
        `      \`export AWS_ACCESS_KEY_ID=${MASKED.accessKey}\``,
        '• *MEDIUM* 8 × `SSN in session output` `tx-pii-ssn`',
        `      \`${MASKED.ssn}\``,
        '• *LOW* 1 × `sudo in a session` `cmd-sudo`',
      ].join('\n'),
    );
    expect((msg.blocks[3] as { elements: TextObject[] }).elements.map((e) => e.text)).toEqual([
      '… and 4 more rules',
    ]);
    expect((msg.blocks[4] as { elements: TextObject[] }).elements.map((e) => e.text)).toEqual([
      'Digest `d-alice-0a1b2c3d4e5f67890-1`',
      'Window `1`',
      '<https://eu-west-1.console.aws.amazon.com/systems-manager/session-manager/alice-0a1b2c3d4e5f67890?region=eu-west-1|Session history>',
      '<https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc1234def567890|EC2 instance>',
    ]);
    expect(msg.text).toBe(
      '[HIGH] Digest: 12 findings in session alice-0a1b2c3d4e5f67890 on i-0abc1234def567890',
    );
    for (const raw of Object.values(RAW)) expect(JSON.stringify(msg)).not.toContain(raw);
    for (const t of texts(msg)) assertShape(t);
  });

  it('names the principal and category of a principal incident, with no links and no more-rules line', () => {
    const p = renderSlackDigest(principalDigest());
    expect(p.text).toBe('[HIGH] Digest: 1 finding by alice (port-forwarding)');
    expect(p.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(JSON.stringify(p)).not.toContain('console.aws');
  });

  /** A digest with `evil` in every string a digest carries. */
  function hostileDigest(evil: string, rules = DIGEST_MAX_RULES): Digest {
    return makeDigest({
      id: evil,
      incident: {
        scope: 'session',
        sessionId: evil,
        target: evil,
        account: evil,
        region: evil,
        sessionKind: evil,
        sourceIp: evil,
        principal: { arn: evil, type: evil, name: evil },
        category: 'secret',
      },
      window: { number: 3, start: evil, end: evil },
      rules: Array.from({ length: rules }, () => ({
        ruleId: evil,
        title: evil,
        severity: 'CRITICAL' as const,
        count: 7,
        excerpt: evil,
      })),
      omittedRules: 2,
    });
  }

  it.each(Object.entries(HOSTILE))('neutralises %s in every digest string', (_name, evil) => {
    const hostile = renderSlackDigest(hostileDigest(`${evil}\r\n\u202e\u0007${evil}`));
    for (const t of texts(hostile)) {
      assertInert(t.text);
      assertShape(t);
    }
    assertInert(hostile.text);
    expect(hostile.text).not.toMatch(/[*_~`]/);
    assertLimits(hostile);
  });

  it('stays within Block Kit limits with DIGEST_MAX_RULES huge rules, and lists no more than that', () => {
    const big = `x<&>\`@channel ${'y'.repeat(10_000)}`;
    const huge = renderSlackDigest(hostileDigest(big, DIGEST_MAX_RULES + 30));
    assertLimits(huge);
    for (const t of texts(huge)) assertShape(t);
    const listed = texts(huge).flatMap((t) => t.text.match(/^(?:\*By rule \(masked\)\*\n)?• /gm) ?? []);
    expect(listed).toHaveLength(DIGEST_MAX_RULES);
    expect(JSON.stringify(huge)).toContain('… and 32 more rules');
  });

  it('holds limits and inertness for arbitrary digest strings', () => {
    const str = fc.string({ unit: 'binary', maxLength: 400 });
    fc.assert(
      fc.property(str, str, fc.integer({ min: 0, max: DIGEST_MAX_RULES + 3 }), (a, b, n) => {
        const d = hostileDigest(a, n);
        d.rules = d.rules.map((r, i) => ({ ...r, title: i % 2 ? b : a, excerpt: b }));
        const out = renderSlackDigest(d);
        assertLimits(out);
        assertInert(out.text);
        for (const t of texts(out)) {
          assertInert(t.text);
          assertShape(t);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('renderSlack buttons (alerts.slackActions)', () => {
  const withButtons = (f: Finding) => renderSlack(f, RULE, undefined, { actions: { suppressHours: 24 } });
  const actionsOf = (msg: SlackMessage) => msg.blocks.filter((b) => b.type === 'actions');

  it('adds Terminate (danger, confirmed), Acknowledge and Suppress similar to a finding with a session', () => {
    const finding = makeFinding();
    const msg = withButtons(finding);
    const last = msg.blocks.at(-1);
    expect(last?.type).toBe('actions');
    if (last?.type !== 'actions') return;
    expect(last.elements.map((e) => [e.action_id, e.text.text, e.style])).toEqual([
      ['ssm-sentinel.terminate', 'Terminate session', 'danger'],
      ['ssm-sentinel.acknowledge', 'Acknowledge', undefined],
      ['ssm-sentinel.suppress', 'Suppress similar for 24 h', undefined],
    ]);
    expect(last.elements[0]?.confirm).toMatchObject({
      confirm: { text: 'Terminate' },
      deny: { text: 'Cancel' },
    });
    const value = ButtonFactsSchema.parse(JSON.parse(last.elements[0]?.value ?? ''));
    expect(value).toMatchObject({
      f: finding.id,
      r: finding.ruleId,
      v: finding.severity,
      s: finding.sessionId,
    });
    for (const e of last.elements) expect(e.value.length).toBeLessThanOrEqual(2000);
    // Everything else is unchanged.
    expect(msg.blocks.slice(0, -1)).toEqual(renderSlack(finding, RULE).blocks);
  });

  it('has no buttons by default, without a session, or on a digest; no Terminate on a termination', () => {
    expect(actionsOf(renderSlack(makeFinding(), RULE))).toEqual([]);
    expect(actionsOf(withButtons(makeFinding({ sessionId: undefined })))).toEqual([]);
    expect(actionsOf(renderSlackDigest(makeDigest()))).toEqual([]);
    const terminated = withButtons(makeFinding({ category: 'session-terminated', source: 'responder' }));
    const block = actionsOf(terminated)[0];
    expect(block?.type === 'actions' && block.elements.map((e) => e.action_id)).toEqual([
      'ssm-sentinel.acknowledge',
      'ssm-sentinel.suppress',
    ]);
  });

  it('keeps the buttons within the block limit and leaves off facts that would be refused', () => {
    const evidence = Array.from({ length: 200 }, (_, i) => ({
      kind: 'X',
      excerpt: `line ${i} ${'y'.repeat(900)}`,
    }));
    const big = withButtons(makeFinding({ evidence, region: 'not a region' }));
    expect(big.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    const last = big.blocks.at(-1);
    expect(last?.type).toBe('actions');
    if (last?.type === 'actions') expect(JSON.parse(last.elements[0]?.value ?? '{}').g).toBeUndefined();
  });
});
