import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { normaliseLine, normaliseLines } from '#shared/transcript/terminal';
import { timeRatio } from '../helpers/timing';

const ESC = '\u001b';
const one = (raw: string, columns?: number) => {
  const segs = normaliseLine(raw, columns ? { columns } : {});
  return { text: segs.map((s) => s.text).join(' | '), erased: segs.flatMap((s) => s.erased) };
};

describe('terminal normalisation', () => {
  it('keeps clean lines as they are (trailing blanks dropped)', () => {
    expect(one('uid=1001(ssm-user) gid=1001   ')).toEqual({
      text: 'uid=1001(ssm-user) gid=1001',
      erased: [],
    });
  });

  it('applies backspace + erase-line and keeps the erased text (typed-then-erased)', () => {
    const bs = `\b${ESC}[K`.repeat(8);
    expect(one(`$ AAFFHHJJ${bs}grep 6011 customers.csv`)).toEqual({
      text: '$ grep 6011 customers.csv',
      erased: ['AAFFHHJJ'],
    });
  });

  it('treats backspaces without erase as overwrites: the overwritten text is erased text', () => {
    // The agent strips ESC[K but keeps BS: the typed word is overwritten by the next one.
    expect(one(`$ AAFFHHJJ${'\b'.repeat(8)}grep 6011 customers.csv`)).toEqual({
      text: '$ grep 6011 customers.csv',
      erased: ['AAFFHHJJ'],
    });
  });

  it('handles delete-character and erase-character sequences', () => {
    expect(one(`abcdef\b\b\b${ESC}[P`).text).toBe('abcef');
    expect(one(`abcdef\b\b\b${ESC}[2P`).text).toBe('abcf');
    expect(one(`abcdef\b\b\b${ESC}[2X`).text).toBe('abc  f');
    expect(one(`abcdef${ESC}[2K`)).toEqual({ text: '', erased: ['abcdef'] });
  });

  it('lets a carriage return overwrite (progress lines) and records what was overwritten', () => {
    const r = one('Completed 16 KiB/33 KiB\rupload: ./customers.csv to s3://b/customers.csv   ');
    expect(r.text).toBe('upload: ./customers.csv to s3://b/customers.csv');
    expect(r.erased).toEqual(['Completed 16 KiB/33 KiB']);
  });

  it('ignores a readline redraw that writes the same text again', () => {
    const cmd = "echo 'ssh-rsa AAAA attacker@evil' >> ~/.ssh/authorized_keys";
    const raw =
      `[root@ip ~]# ${ESC}[7m${cmd}${ESC}[27m\r${ESC}[C`.replace(`${ESC}[C`, `${ESC}[C`.repeat(13)) + cmd;
    expect(one(raw)).toEqual({ text: `[root@ip ~]# ${cmd}`, erased: [] });
  });

  it('joins a readline-wrapped line (" \\r" at the right margin) with or without the width', () => {
    // The typed blank fills the last column; readline adds " \r" to force the wrap.
    const head = `${'x'.repeat(119)} `;
    const raw = `${head} \rinvoices'`;
    expect(one(raw, 120).text).toBe(`${head}invoices'`);
    expect(one(raw).text).toBe(`${head}invoices'`);
  });

  it('moves up rows with a known width (readline redraw of a wrapped paste)', () => {
    const text = 'a'.repeat(130);
    const raw = `${text}${ESC}[A\r${ESC}[5C${'a'.repeat(10)}`;
    expect(one(raw, 120).text).toBe(text);
  });

  it('drops bracketed-paste markers and the readline highlight, keeping the pasted text', () => {
    expect(one(`$ ${ESC}[200~echo secret${ESC}[201~`).text).toBe('$ echo secret');
    expect(one(`$ export K=${ESC}[7mWya6vm8${ESC}[27m`).text).toBe('$ export K=Wya6vm8');
  });

  it('drops OSC (BEL or ST), DCS, charset and two-character sequences', () => {
    expect(one(`${ESC}]0;root@ip-10-0-1-23:~\u0007[root@ip ~]# id`).text).toBe('[root@ip ~]# id');
    expect(one(`${ESC}]11;?${ESC}\\a${ESC}Pzz${ESC}\\b${ESC}(Bc${ESC}=d${ESC}7e`).text).toBe('abcde');
    expect(one(`top${ESC}(B${ESC}[m${ESC}[39;49m - 02:01${ESC}[K`).text).toBe('top - 02:01');
  });

  it('splits cursor jumps to other rows into segments of the same line', () => {
    const segs = normaliseLine(`listen = 8080${ESC}[35;103H1,1${ESC}[11CAll`);
    expect(segs.map((s) => s.text)).toEqual(['listen = 8080', '1,1           All']);
  });

  it('never throws on unterminated or malformed sequences', () => {
    for (const raw of [
      `abc${ESC}`,
      `abc${ESC}[`,
      `abc${ESC}[12;`,
      `abc${ESC}]0;title`,
      `a${ESC}P`,
      `${ESC}(`,
      '\u009b5',
    ]) {
      expect(() => normaliseLine(raw)).not.toThrow();
    }
    expect(one(`abc${ESC}]0;title without end`).text).toBe('abc');
    expect(one(`abc${ESC}[12;`).text).toBe('abc');
  });

  it('keeps invalid UTF-8 (U+FFFD) and non-ASCII text', () => {
    const text = new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0xfe, 0x62, 0xc3, 0xa9]));
    expect(one(text).text).toBe('a\ufffd\ufffdbé');
  });

  it('clamps huge parameters and handles megabyte lines', () => {
    expect(one(`a${ESC}[999999999Cb`).text.length).toBeLessThan(1100);
    const big = `${'A'.repeat(1_000_000)}\b${ESC}[K`;
    expect(one(big).text.length).toBe(999_999);
    const noisy = `${ESC}[1;1H${'x'.repeat(10)}`.repeat(50_000);
    expect(normaliseLine(noisy).length).toBe(50_000);
    // Insert/erase storms would be quadratic in a screen model: past a work budget the line is stripped.
    const storm = `${'y'.repeat(20_000)}${`\b${ESC}[@${ESC}[1Kz`.repeat(20_000)}`;
    const [line] = normaliseLine(storm);
    expect(line!.text.startsWith('yyy')).toBe(true);
    expect(line!.text.length).toBeGreaterThan(20_000);
  });

  it('numbers segments by their input line', () => {
    const out = normaliseLines(['one', `${ESC}[?2004h`, `two${ESC}[5;1Hthree`, 'four\r\r']);
    expect(out.map((l) => [l.index, l.text])).toEqual([
      [0, 'one'],
      [2, 'two'],
      [2, 'three'],
      [3, 'four'],
    ]);
  });

  it('shows the same text as strip-ansi on lines without cursor movement', () => {
    const raw = `${ESC}[01;34mconf${ESC}[0m and ${ESC}]0;t\u0007${ESC}[?2004hmore`;
    expect(one(raw).text).toBe(stripAnsi(raw));
  });
});

describe('prompt marks', () => {
  const TITLE = `${ESC}]0;root@ip-10-0-1-23:~\u0007`;
  const PASTE_ON = `${ESC}[?2004h`;
  const marks = (raw: string, columns?: number) =>
    normaliseLines([raw], columns ? { columns } : {}).map((l) => [l.text, l.marks]);

  it('notes where bash announced its prompt, after output on the same line too', () => {
    expect(marks(`${ESC}[?2004lec2-app-role${TITLE}${PASTE_ON}# curl x`)).toEqual([
      ['ec2-app-role# curl x', [12]],
    ]);
    expect(marks(`${TITLE}${PASTE_ON}$ id`)).toEqual([['$ id', [0]]]);
    expect(marks(`out${ESC}]133;A${ESC}\\$ id`)).toEqual([['out$ id', [3]]]);
  });

  it('keeps the marks through the screen model (backspace, erase, cursor jumps)', () => {
    expect(marks(`}${TITLE}${PASTE_ON}# ab\b${ESC}[Kc`)).toEqual([['}# ac', [1]]]);
    // A segment after a jump starts where the jump put it: its marks move with its trimmed text.
    expect(marks(`x${ESC}[5;1H   ${PASTE_ON}$ id`)).toEqual([
      ['x', undefined],
      ['$ id', [0]],
    ]);
  });

  it('drops marks with nothing after them and other private modes', () => {
    expect(marks(`# x^C${ESC}[?2004l${PASTE_ON}${ESC}[?2004l`)).toEqual([['# x^C', undefined]]);
    expect(marks(`${ESC}[?1049h# heading`)).toEqual([['# heading', undefined]]);
    expect(marks(`${ESC}]10;?\u0007# x`)).toEqual([['# x', undefined]]);
  });

  it('keeps at most the last 16 marks of a line', () => {
    const [line] = normaliseLines([`${PASTE_ON}x`.repeat(1000)]);
    expect(line!.marks).toHaveLength(16);
    expect(line!.marks!.at(-1)).toBe(999);
  });
});

describe('hostile lines: linear time, bounded output', () => {
  const repeat = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  const shapes: Record<string, (n: number) => string> = {
    backspaces: (n) => repeat('ab\b', n),
    'text then backspaces': (n) => 'x'.repeat(n / 2) + '\b'.repeat(n / 2),
    'carriage returns': (n) => repeat('abc\r', n),
    'readline wraps': (n) => repeat(' \rx', n),
    'SGR sequences': (n) => repeat(`${ESC}[1;31mX`, n),
    'cursor left + erase': (n) => repeat(`abcd${ESC}[2D${ESC}[K`, n),
    'erase to start': (n) => repeat(`abcdefgh${ESC}[1K`, n),
    'insert blanks': (n) => `${'a'.repeat(n / 2)}\r${repeat(`${ESC}[5@`, n / 2)}`,
    'delete characters': (n) => `${'a'.repeat(n / 2)}\r${repeat(`${ESC}[P`, n / 2)}`,
    'unterminated OSC': (n) => `${ESC}]0;${'a'.repeat(n)}`,
    'prompt marks': (n) => repeat(`${ESC}]0;t\u0007${ESC}[?2004h# x\r`, n),
    'cursor jumps': (n) => repeat(`${ESC}[5;5Hab`, n),
    'forward moves': (n) => repeat(`${ESC}[1024Cx`, n),
    tabs: (n) => repeat('\tx\b', n),
  };

  it.each(Object.keys(shapes))('%s: 4x the line costs at most 8x the time', (name) => {
    const make = shapes[name]!;
    const n = 128 * 1024;
    const small = make(n);
    const large = make(4 * n);
    const ratio = timeRatio(
      () => normaliseLines([small]),
      () => normaliseLines([large]),
    );
    expect(ratio).toBeLessThanOrEqual(8);
  });

  it('bounds what a line can grow to: forward moves cannot pad without limit', () => {
    // 150 000 moves of 1024 cells before one character used to build a 150-million-cell row.
    const raw = `${ESC}[1024C`.repeat(150_000);
    const text = normaliseLines([`${raw}x`])
      .map((l) => l.text)
      .join('');
    expect(text.length).toBeLessThanOrEqual(4 * raw.length + 65_536);
    expect(text.endsWith('x')).toBe(true);
    for (const name of ['forward moves', 'tabs', 'insert blanks']) {
      const line = shapes[name]!(256 * 1024);
      const out = normaliseLines([line]).reduce((sum, l) => sum + l.text.length, 0);
      expect(out, name).toBeLessThanOrEqual(4 * line.length + 65_536);
    }
  });
});
