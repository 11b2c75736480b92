import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { normaliseLine, normaliseLines } from '../../shared/transcript/terminal';

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
