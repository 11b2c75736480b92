import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { COMMAND_RULES, maskActivationCode } from '#shared/rules/command-rules';
import { annotateCommands, createCommandDetector } from '#shared/transcript/commands';
import { scanTranscript } from '#shared/transcript/scan';
import type { TranscriptLine } from '#shared/transcript/types';
import { timeRatio } from '../helpers/timing';

const CODE = 'fjz3Qv7XbDv8EXAMPLE1';
const ID = 'e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE';
const RULE = COMMAND_RULES.find((r) => r.id === 'cmd-agent-hijack')!;

function detect(command: string) {
  const lines: TranscriptLine[] = [{ n: 1, text: `[ssm-user@ip-10-0-1-23 ~]$ ${command}`, erased: [] }];
  annotateCommands(lines);
  return createCommandDetector()
    .scan(lines, {})
    .filter((d) => d.ruleId === RULE.id);
}

async function excerptsOf(command: string): Promise<string[]> {
  const result = await scanTranscript(
    {
      sessionId: 'alice-0123456789abcdef0',
      origin: 'test',
      final: true,
      events: [
        { time: '2026-11-22T02:00:00Z', text: `sh-5.2$ ${command}\nRegistration completed\n`, id: '1' },
      ],
    },
    { config: DEFAULT_CONFIG, pii: undefined },
    [createCommandDetector()],
  );
  const f = result.findings.find((x) => x.ruleId === RULE.id);
  expect(f).toMatchObject({ category: 'risky-command', severity: 'HIGH' });
  return f!.evidence.map((e) => e.excerpt);
}

describe('agent hijack (cmd-agent-hijack)', () => {
  it('is a HIGH risky command of its own kind', () => {
    expect(RULE).toMatchObject({ category: 'risky-command', severity: 'HIGH', kind: 'AGENT_HIJACK' });
    expect(detect(`sudo amazon-ssm-agent -register -code ${CODE} -id ${ID} -region us-east-1`)).toHaveLength(
      1,
    );
  });

  it('needs the registration and a code in the same command, in any order', () => {
    expect(detect(`sudo amazon-ssm-agent -code ${CODE} -id ${ID} -region us-east-1 -register`)).toHaveLength(
      1,
    );
    expect(detect(`sudo amazon-ssm-agent -code ${CODE} -id ${ID}`)).toEqual([]);
    expect(detect('sudo amazon-ssm-agent -register')).toEqual([]);
    // The flags belong to another command of the line.
    expect(detect(`amazon-ssm-agent -version; echo -register -code ${CODE}`)).toEqual([]);
    expect(detect(`echo amazon-ssm-agent | xargs -register -code ${CODE}`)).toEqual([]);
    // A word that only contains the name is not the program.
    expect(detect(`my-amazon-ssm-agent -register -code ${CODE} -id ${ID}`)).toEqual([]);
    expect(detect(`amazon-ssm-agent.json -register -code ${CODE} -id ${ID}`)).toEqual([]);
  });

  it('is reported one severity lower when cancelled with ^C', () => {
    expect(detect(`sudo amazon-ssm-agent -register -code ${CODE} -id ${ID}^C`)[0]?.severity).toBe('MEDIUM');
  });

  it('masks the activation code in every written form and keeps the activation id', () => {
    for (const command of [
      `sudo amazon-ssm-agent -register -code "${CODE}" -id "${ID}" -region "us-east-2"`,
      `sudo amazon-ssm-agent -register -code '${CODE}' -id ${ID}`,
      `amazon-ssm-agent --register --code=${CODE} --id=${ID}`,
      `amazon-ssm-agent -register -code=${CODE} -id=${ID}`,
      `& "C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe" -register -code "${CODE}" -id "${ID}"`,
      `sudo ./ssm-setup-cli -register -activation-code "${CODE}" -activation-id "${ID}" -region "us-east-2"`,
      `code=${CODE}; sudo amazon-ssm-agent -register -code $code -id ${ID}`,
      `ACTIVATION_CODE="${CODE}" && sudo ./ssm-setup-cli -register -activation-code $ACTIVATION_CODE -activation-id ${ID}`,
      `$code = '${CODE}'; & amazon-ssm-agent.exe -register -code $code -id ${ID}`,
    ]) {
      const masked = maskActivationCode(command);
      expect(masked, command).not.toContain(CODE);
      expect(masked, command).toContain(ID);
      expect(masked, command).toContain('****');
    }
    // Other commands are left alone.
    expect(maskActivationCode(`git log --code ${CODE}`)).toContain(CODE);
  });

  // Flip to `it` once shared/mask.ts maskCommand applies maskActivationCode (needed from its owner):
  // today the excerpt still shows the code. This test starts failing the moment that is wired.
  it('shows the command in the excerpt with the activation code masked', async () => {
    const excerpts = await excerptsOf(
      `sudo amazon-ssm-agent -register -code ${CODE} -id ${ID} -region us-east-1`,
    );
    expect(excerpts.join('\n')).toContain(ID);
    expect(excerpts.join('\n')).not.toContain(CODE);
  });

  it('masks in linear time on hostile command lines (the patterns are timed in command-rules.test.ts)', () => {
    const units = [
      'amazon-ssm-agent ',
      ' -code',
      ' -code "',
      " -code '",
      ' code=',
      ' $code = ',
      '-activation-code  ',
    ];
    for (const unit of units) {
      const line = (n: number) => `amazon-ssm-agent ${unit.repeat(n)}x`;
      const small = line(2_000);
      const large = line(8_000);
      // 4x the line: a quadratic pass is about 16x.
      expect(
        timeRatio(
          () => maskActivationCode(small),
          () => maskActivationCode(large),
        ),
        unit,
      ).toBeLessThan(8);
    }
  });
});
