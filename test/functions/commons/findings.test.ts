import { describe, expect, it } from 'vitest';
import { maskText, remaskFinding } from '#functions/commons/findings';
import { makeFinding, reverseShellFinding } from '../../format/findings';
import { timeRatio } from '../../helpers/timing';
import { ALL_PLANTED, leaks, PLANTED } from '../hostile';

/** A rule's reason as the core writes it: longer than maskCommand's 160-character cut, nothing to mask. */
const LONG_REASON =
  'A password was passed as a command argument (mysql -p, --password=, sshpass -p, user:pass@ URL, net user … /add, curl -u, redis-cli -a, mongo -p, ldapsearch -w, docker login -p, htpasswd -b). It is now in the session log and usually in shell history and ps output.';

describe('remaskFinding', () => {
  it('returns a finding the core wrote unchanged, long reasons included', () => {
    for (const f of [
      makeFinding(),
      reverseShellFinding(),
      makeFinding({ reasons: [LONG_REASON, 'short'] }),
    ]) {
      expect(remaskFinding(f)).toEqual(f);
    }
  });

  it('masks a value planted in any text field, at any depth', () => {
    const planted = makeFinding({
      title: `key ${PLANTED.awsKey}`,
      target: PLANTED.email,
      sessionId: PLANTED.ssn,
      reasons: [ALL_PLANTED],
      principal: {
        arn: `arn:aws:sts::123456789012:assumed-role/Admin/${PLANTED.email}`,
        type: 'AssumedRole',
      },
      evidence: [{ kind: 'X', excerpt: `token ${PLANTED.github} and ${PLANTED.jwt}` }],
    });
    const out = remaskFinding(planted);
    // The e-mail naming the actor in the principal ARN is the one value kept (identityField).
    const { principal, ...rest } = out;
    expect(leaks(JSON.stringify(rest))).toEqual([]);
    expect(principal?.arn).toBe(`arn:aws:sts::123456789012:assumed-role/Admin/${PLANTED.email}`);
    expect(out.title).toBe('key AKIA************5TPV');
    expect(out.severity).toBe(planted.severity);
  });

  it('keeps the actor as the core shows it and redacts anything else planted in identity fields', () => {
    const f = makeFinding({
      sessionId: `${PLANTED.awsKey}-0a1b2c3d4e5f67890`,
      principal: {
        arn: `arn:aws:sts::123456789012:assumed-role/Admin/${PLANTED.awsKey}`,
        type: 'AssumedRole',
      },
    });
    expect(leaks(JSON.stringify(remaskFinding(f)))).toEqual([]);
    const sso = makeFinding({
      sessionId: 'jane.doe@example.org-0a1b2c3d4e5f67890',
      principal: {
        arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6789/jane.doe@example.org',
        type: 'AssumedRole',
      },
    });
    expect(remaskFinding(sso)).toEqual(sso);
  });
});

describe('maskText', () => {
  it.each(Object.entries(PLANTED))(
    'finds %s anywhere in a long text: start, past the cut, end',
    (_kind, value) => {
      const filler = 'plain words without anything to hide, '.repeat(12);
      for (const text of [`${value} ${filler}`, `${filler}${value} ${filler}`, `${filler}${value}`]) {
        expect(text.length).toBeGreaterThan(160);
        expect(leaks(maskText(text))).toEqual([]);
      }
    },
  );

  it('is linear in the length of the text (n and 4n, one run)', () => {
    const text = (n: number) => 'status ok, 200 rows copied to the report table; '.repeat(n);
    const small = text(500);
    const large = text(2000);
    expect(
      timeRatio(
        () => maskText(small),
        () => maskText(large),
      ),
    ).toBeLessThan(8);
  });
});
