import { shiftSeverity } from '../model/finding';
import { COMMAND_RULES, type CommandRule } from '../rules/command-rules';
import type { Detection, Detector, TranscriptLine } from './types';

/**
 * What counts as a command line. Only terminal output is logged, so a command is the echoed text after
 * a prompt the shell printed. A screen line holds a command when it shows one of these prompts (the
 * first one on the line; the command is everything after it):
 *
 * 1. A decorated prompt, anywhere on the line (output printed without a final newline may precede it):
 *    `[user@host dir]$ `, `user@host:dir# `, `user@host dir % ` (zsh), `user@host ~> ` (fish),
 *    `sh-5.2$ `, `bash-4.2# `, PowerShell `PS C:\…> `, `PS /…> `, `PS> `.
 * 2. At the start of the line, or where the shell marked its prompt (bash and zsh switch bracketed paste
 *    on, set the window title or send OSC 133;A just before it: see terminal.ts): busybox/ash
 *    `~ # `, `/var/log $ `, `host:~# `, zsh's default `host% ` / `host# `, `user$ `, themed zsh
 *    `❯ ` / `➜  dir [git:(branch) ✗] `, cmd.exe `C:\dir>`, and a bare `$ ` or `# ` (dash, the `sh`
 *    Session Manager starts on Ubuntu and Debian; `# ` as root). A bare prompt in the middle of a line
 *    without a mark is not taken (`x$ `, `C# ` in output are far more common than a dash prompt after
 *    output without a newline).
 * 3. At the start of the line without a mark, a bare `$ ` / `# ` is printed text, not a prompt,
 *    while the output of a command that only shows files is on screen: a printer (cat, grep, head,
 *    tail, jq, Get-Content…) or a pager/editor with plain file arguments (less, more, vim, man,
 *    git log…; not `vim -c …`, `man -P …`, `less +…`, which run commands). The bare prompt that
 *    command was typed at stays a prompt (it is the one coming back), and the output ends at the next
 *    prompt of any form or, for a pager, at a line where it runs a shell (`!sh`, `|cmd`, vim `:!`,
 *    `:sh`, nano "Command to execute"). So `cat /etc/login.defs` shows its `# useradd …` comments and
 *    `less runbook.md` its `$ curl …` examples as text, while no shell started from them is hidden:
 *    a printer cannot start one, and a pager's shell escape ends the output. Not told apart: `# `
 *    comments a printer shows in a session whose own prompt is a bare `# `, and `$ ` lines printed in
 *    a session whose prompt is a bare `$ ` (read as commands: a rare false alarm, never a blind spot).
 * 4. After a command left open (trailing `\`, `|`, `&&`, an open quote) a continuation prompt `> `
 *    (PowerShell `>> `) at the start of the line continues it. A command ending in `^C` never ran.
 *
 * Hand-written rather than one regex: every search is linear in the line. Candidate prompt ends
 * (`$ `, `# `, `% `, `> `) are visited once and each is checked backwards over a bounded run that no
 * other candidate shares (the backtracking regex this replaces was quadratic in the line length).
 */

/** Longest `user@host:path` / `[user@host dir]` body looked at behind a prompt's last character. */
const MAX_BODY = 64 + 1 + 253 + 1 + 200;
/** Longest PowerShell prompt (`PS C:\…> `) and cmd.exe prompt (`C:\…>`). */
const MAX_PS = 246;
/** Longest command inspected to decide whether it only prints files. */
const MAX_VIEWER_COMMAND = 4096;
const BRACKET_BODY = /^\[[^\s[\]@]+@[^\s[\]]+(?: [^[\]]{0,200})?\]$/;
const VERSION = /^\d+(?:\.\d+)*$/;

export interface PromptOptions {
  /** Bare prompt characters (`$`, `#`) taken at the start of the line without a mark (default none). */
  bare?: string;
  /** Columns where the terminal normaliser saw the shell mark a prompt (TranscriptLine.prompt.marks). */
  marks?: readonly number[];
}

export interface PromptSplit {
  prompt: string;
  command: string;
  shell: 'posix' | 'powershell' | 'cmd';
  /** The character of a bare prompt (`$ `, `# `, busybox `~ # `). */
  bare?: '$' | '#';
}

interface Found {
  start: number;
  end: number;
  shell: PromptSplit['shell'];
  bare?: '$' | '#';
}

/**
 * The first prompt on a screen line and the command after it. Without options only decorated and
 * busybox/cmd.exe prompts count (what a reader sniffing a file may rely on); the annotator passes
 * the bare characters the session rule allows and the line's prompt marks.
 */
export function splitPrompt(text: string, options: PromptOptions = {}): PromptSplit | undefined {
  let best = shortPromptAt(text, 0, options.bare ?? '');
  if (!best) {
    for (const m of options.marks ?? []) {
      if (best && best.start <= m) continue;
      best = shortPromptAt(text, m, '$#') ?? best;
    }
    best = firstDecorated(text, best?.start ?? text.length) ?? best;
  }
  if (!best) return undefined;
  const split: PromptSplit = {
    prompt: text.slice(best.start, best.end),
    command: text.slice(best.end),
    shell: best.shell,
  };
  if (best.bare) split.bare = best.bare;
  return split;
}

/** Decorated prompt ending first on the line, among those starting before `limit`. */
function firstDecorated(text: string, limit: number): Found | undefined {
  // Every prompt ends with `$ `, `# `, `% ` or `> `: a native scan hops from one such pair to the
  // next (most lines have none: 0.47 → see bench transcriptScanRatio), and a line of `$ $ $ …` has a
  // candidate every other character, still O(line).
  PROMPT_END.lastIndex = 0;
  for (let m = PROMPT_END.exec(text); m !== null && m.index < limit; m = PROMPT_END.exec(text)) {
    const e = m.index;
    const c = text.charCodeAt(e);
    let start: number;
    if (c === GT) {
      start = powershellStart(text, e);
      if (start < 0) start = fishStart(text, e);
    } else if (c === PERCENT) start = posixStart(text, text.charCodeAt(e - 1) === SPACE ? e - 1 : e);
    else start = posixStart(text, e);
    if (start >= 0 && start < limit) return { start, end: e + 2, shell: c === GT ? 'powershell' : 'posix' };
  }
  return undefined;
}

/** The last character of every prompt and its blank (sticky scan state: reset before each use). */
const PROMPT_END = /[$#%>] /g;

/**
 * Start of a POSIX decorated prompt whose body ends right before `b` (the `$`, `#` or `%`), or -1.
 * Each form is checked over a bounded run that ends at `b` and stops at a blank, `[`/`]` or
 * `$#%`: runs of different candidates do not overlap, so all candidates of a line cost O(line).
 */
function posixStart(text: string, b: number): number {
  const last = text.charCodeAt(b - 1);
  const decorated =
    last === CLOSE ? bracketStart(text, b) : last >= 0x30 && last <= 0x39 ? shellVersionStart(text, b) : -1;
  const userHost = userHostStart(text, b);
  return decorated < 0 ? userHost : userHost < 0 ? decorated : Math.min(decorated, userHost);
}

/** `[user@host dir]` ending at `b`. */
function bracketStart(text: string, b: number): number {
  const lo = Math.max(0, b - 2 - MAX_BODY);
  for (let k = b - 2; k >= lo; k--) {
    const c = text.charCodeAt(k);
    if (c === OPEN) return BRACKET_BODY.test(text.slice(k, b)) ? k : -1;
    if (c === CLOSE || c === NEWLINE) return -1;
  }
  return -1;
}

/** `sh-5.2`, `bash-4.2`, `zsh-5.9`… ending at `b`. */
function shellVersionStart(text: string, b: number): number {
  let p = b - 1;
  while (p >= 0 && b - p <= 32 && isVersionChar(text.charCodeAt(p))) p--;
  if (p < 2 || text.charCodeAt(p) !== DASH || !VERSION.test(text.slice(p + 1, b))) return -1;
  if (text.slice(p - 2, p) !== 'sh') return -1;
  const s = p - 2;
  const two = text.slice(Math.max(0, s - 2), s);
  if (two === 'ba' || two === 'da' || two === 'tc') return s - 2;
  const one = text[s - 1];
  return one === 'z' || one === 'k' || one === 'c' ? s - 1 : s;
}

/** `user@host`, `user@host:path` or `user@host path` ending at `b`. */
function userHostStart(text: string, b: number): number {
  // The run before the prompt character: no blank and no `$#%` (a path never holds them here).
  let r = b;
  while (r > 0 && b - r < MAX_BODY && !isRunBreak(text.charCodeAt(r - 1))) r--;
  if (r === b) return -1;
  // `user@host path`: the path is the whole run, `user@host` ends at the blank before it.
  if (b - r <= 200 && r >= 2 && text.charCodeAt(r - 1) === SPACE) {
    const s = userAtHostEndingAt(text, r - 1);
    if (s >= 0) return s;
  }
  // `user@host` or `user@host:path` inside the run: the leftmost `@` that fits.
  for (let a = text.indexOf('@', r + 1); a >= 0 && a < b - 1; a = text.indexOf('@', a + 1)) {
    if (!isWordChar(text.charCodeAt(a - 1))) continue;
    let h = a + 1;
    while (h < b && h - a <= 253 && isWordChar(text.charCodeAt(h))) h++;
    if (h === a + 1) continue;
    if (h === b || (text.charCodeAt(h) === COLON && b - h - 1 <= 200)) {
      let u = a - 1;
      while (u > r && a - u < 64 && isWordChar(text.charCodeAt(u - 1))) u--;
      return u;
    }
  }
  return -1;
}

/** Start of `user@host` whose host ends right before `end`, or -1. */
function userAtHostEndingAt(text: string, end: number): number {
  let h = end;
  while (h > 0 && end - h < 253 && isWordChar(text.charCodeAt(h - 1))) h--;
  if (h === end || text.charCodeAt(h - 1) !== AT) return -1;
  const a = h - 1;
  let u = a;
  while (u > 0 && a - u < 64 && isWordChar(text.charCodeAt(u - 1))) u--;
  return u === a ? -1 : u;
}

/**
 * fish's default `user@host ~> ` / `user@host /var/log> ` ending with the `>` at `e`, or -1: the path
 * starts with `~` or `/` and follows `user@host` and one blank (the run back stops at the blank, so
 * candidates of a line do not share characters).
 */
function fishStart(text: string, e: number): number {
  let r = e;
  while (r > 0 && e - r <= 200 && !isRunBreak(text.charCodeAt(r - 1))) r--;
  const c = text.charCodeAt(r);
  if (r === e || (c !== TILDE && c !== SLASH) || text.charCodeAt(r - 1) !== SPACE) return -1;
  return userAtHostEndingAt(text, r - 1);
}

/** `PS C:\…> `, `PS /…> ` or `PS> ` ending with the `>` at `e`, or -1. */
function powershellStart(text: string, e: number): number {
  let lo = e;
  while (lo > 0 && e - lo < MAX_PS && text.charCodeAt(lo - 1) !== GT && text.charCodeAt(lo - 1) !== NEWLINE)
    lo--;
  for (let i = text.indexOf('PS ', lo); i >= 0 && i + 4 <= e; i = text.indexOf('PS ', i + 1)) {
    const c = text.charCodeAt(i + 3);
    if (
      c === SLASH ||
      (isLetter(c) && text.charCodeAt(i + 4) === COLON && text.charCodeAt(i + 5) === BACKSLASH)
    )
      return i;
  }
  return e >= 2 && text.slice(e - 2, e) === 'PS' ? e - 2 : -1;
}

/**
 * A short prompt starting exactly at `i` (line start or a prompt mark): a bare `$ `/`# ` whose
 * character is in `bare`, busybox `~ # ` / `/var/log $ `, ash `host:~# `, cmd.exe `C:\dir>`.
 */
function shortPromptAt(text: string, i: number, bare: string): Found | undefined {
  const c = text.charCodeAt(i);
  if ((c === DOLLAR || c === HASH) && text.charCodeAt(i + 1) === SPACE) {
    const ch = c === DOLLAR ? '$' : '#';
    return bare.includes(ch) ? { start: i, end: i + 2, shell: 'posix', bare: ch } : undefined;
  }
  if (c === TILDE || c === SLASH) {
    // busybox `\w \$ `: a path, a blank, the prompt character.
    let j = i + 1;
    while (j < text.length && j - i <= 200 && !isRunBreak(text.charCodeAt(j))) j++;
    const p = text.charCodeAt(j + 1);
    if (text.charCodeAt(j) === SPACE && (p === DOLLAR || p === HASH) && text.charCodeAt(j + 2) === SPACE)
      return { start: i, end: j + 3, shell: 'posix', bare: p === DOLLAR ? '$' : '#' };
    return undefined;
  }
  if (isLetter(c) && text.charCodeAt(i + 1) === COLON && text.charCodeAt(i + 2) === BACKSLASH) {
    // cmd.exe `C:\Users\me>`: no blank after the `>`.
    for (let j = i + 3; j < text.length && j - i <= MAX_PS; j++) {
      const d = text.charCodeAt(j);
      if (d === GT) return { start: i, end: text.charCodeAt(j + 1) === SPACE ? j + 2 : j + 1, shell: 'cmd' };
      if (d === LT || d === COLON || d === QUOTE || d === PIPE || d === NEWLINE) return undefined;
    }
    return undefined;
  }
  if (c === ARROW || c === CHEVRON) return themedPromptAt(text, i);
  if (isWordChar(c)) {
    // ash/Alpine `\h:\w\$ `: host, colon, a path starting with `~` or `/`, the prompt character.
    let j = i;
    while (j < text.length && j - i < 64 && isWordChar(text.charCodeAt(j))) j++;
    const p = text.charCodeAt(j + 1);
    const at = text.charCodeAt(j);
    // zsh's default `%m%# ` (`ip-10-0-1-23% `, root `ip-10-0-1-23# `) and `\u\$ ` (`ssm-user$ `): a
    // host or user name starting with a letter, then the prompt character.
    if ((at === PERCENT || at === HASH || at === DOLLAR) && p === SPACE && isLetter(c) && j > i) {
      const bareChar = at === PERCENT ? undefined : at === DOLLAR ? '$' : '#';
      return bareChar
        ? { start: i, end: j + 2, shell: 'posix', bare: bareChar }
        : { start: i, end: j + 2, shell: 'posix' };
    }
    if (at !== COLON || (p !== TILDE && p !== SLASH)) return undefined;
    let k = j + 1;
    while (k < text.length && k - j <= 200 && !isRunBreak(text.charCodeAt(k))) k++;
    const ch = text.charCodeAt(k);
    if ((ch === DOLLAR || ch === HASH) && text.charCodeAt(k + 1) === SPACE)
      return { start: i, end: k + 2, shell: 'posix', bare: ch === DOLLAR ? '$' : '#' };
  }
  return undefined;
}

/**
 * Themed zsh/fish prompts at the start of a line: starship and pure print `❯ `; oh-my-zsh's default
 * theme prints `➜  <dir> ` and, in a git repository, `git:(<branch>) ` and `✗ `.
 */
function themedPromptAt(text: string, i: number): Found | undefined {
  if (text.charCodeAt(i + 1) !== SPACE) return undefined;
  if (text.charCodeAt(i) === CHEVRON) return { start: i, end: i + 2, shell: 'posix' };
  let j = i + 1;
  while (text.charCodeAt(j) === SPACE && j - i < 4) j++;
  const dir = j;
  while (j < text.length && j - dir <= 200 && !isRunBreak(text.charCodeAt(j))) j++;
  if (j === dir || text.charCodeAt(j) !== SPACE) return undefined;
  j++;
  if (text.startsWith('git:(', j)) {
    const close = text.indexOf(') ', j);
    if (close < 0 || close - j > 260) return undefined;
    j = close + 2;
    if (text.charCodeAt(j) === CROSS && text.charCodeAt(j + 1) === SPACE) j += 2;
  }
  return { start: i, end: j, shell: 'posix' };
}

const ARROW = 0x279c; // ➜
const CHEVRON = 0x276f; // ❯
const CROSS = 0x2717; // ✗
const SPACE = 0x20;
const NEWLINE = 0x0a;
const DOLLAR = 0x24;
const HASH = 0x23;
const PERCENT = 0x25;
const GT = 0x3e;
const LT = 0x3c;
const AT = 0x40;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const DASH = 0x2d;
const COLON = 0x3a;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const TILDE = 0x7e;
const QUOTE = 0x22;
const PIPE = 0x7c;

/** `[\w.-]` */
function isWordChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x2e ||
    c === DASH
  );
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isVersionChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e;
}

/** Ends a prompt body run: what `[^\s$#%]` refuses, and NaN (past either end of the text). */
function isRunBreak(c: number): boolean {
  if (c === DOLLAR || c === HASH || c === PERCENT || Number.isNaN(c)) return true;
  if (c <= SPACE) return c === SPACE || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** True when the shell will ask for more input (PS2): trailing `\`, pipe/and/or, or an open quote. */
export function isOpenCommand(command: string): boolean {
  const t = command.trimEnd();
  if (/(?:\\|\||&&)$/.test(t)) return true;
  let single = false;
  let double = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '\\' && !single) i++;
    else if (c === "'" && !double) single = !single;
    else if (c === '"' && !single) double = !double;
  }
  return single || double;
}

/**
 * Set `command` / `cancelled` / `commandStart` on lines[from…]; lines before `from` (carried context)
 * are already annotated and give the state of a command still open across deliveries, and which bare
 * prompts are printed text (`prompt.quiet`, rule 3 above).
 */
export function annotateCommands(
  lines: TranscriptLine[],
  from = 0,
  open?: { start: number; head: string },
): void {
  const first = Math.max(0, from);
  let quiet = (first > 0 && lines[first - 1]?.prompt?.quiet) || '';
  for (let i = first; i < lines.length; i++) {
    const line = lines[i]!;
    if (i === first && open) {
      // The rest of a command line cut at the carry bound: the same command, whatever it prints.
      setCommand(line, `${open.head}${line.text}`, open.start);
      quiet = '';
      continue;
    }
    const prev = i > 0 ? lines[i - 1] : undefined;
    const bare = quiet ? bareAllowed(quiet) : BARE;
    const marks = line.prompt?.marks;
    let split = splitPrompt(line.text, { bare, marks });
    // busybox `/ # ` and ash `host:~# ` at the start of the line follow the same rule as `# `.
    if (
      split?.bare &&
      quiet.includes(split.bare) &&
      line.text.startsWith(split.prompt) &&
      !marks?.includes(0)
    )
      split = undefined;
    if (split) {
      setCommand(line, split.command, line.n);
      quiet = line.cancelled ? '' : quietAfter(split, line.command ?? '');
    } else {
      // Continuation prompt (`> ` for sh, `>> ` for PowerShell) after an open command line.
      const cont = /^>>? /.exec(line.text);
      if (cont && prev?.command !== undefined && !prev.cancelled && isOpenCommand(prev.command)) {
        const head = prev.command.trimEnd().replace(/\\$/, '');
        setCommand(line, `${head} ${line.text.slice(cont[0].length)}`, prev.commandStart ?? prev.n);
        quiet = '';
      } else if (quiet.includes(PAGER) && isShellEscape(line)) {
        // The pager starts a shell: its prompts, whatever they look like, are prompts again.
        quiet = '';
      }
    }
  }
  // Only the last line carries the state: it is the one the next delivery's context ends with.
  const last = lines[lines.length - 1];
  if (last && lines.length > first) setQuiet(last, quiet);
}

/** Bare prompt characters still taken while `quiet` ones are printed text. */
function bareAllowed(quiet: string): string {
  return quiet.includes('$') ? (quiet.includes('#') ? '' : '#') : quiet.includes('#') ? '$' : BARE;
}

/** Bare prompt characters taken at the start of a line. */
const BARE = '$#';

function setQuiet(line: TranscriptLine, quiet: string): void {
  if (quiet) line.prompt = { ...line.prompt, quiet };
  else if (line.prompt?.quiet !== undefined) {
    const { quiet: _, ...rest } = line.prompt;
    if (rest.marks) line.prompt = rest;
    else delete line.prompt;
  }
}

/**
 * Which bare prompts, at the start of the next lines, are text printed by this command (rule 3):
 * none unless it only shows files. The prompt it was typed at is the one coming back: never quiet.
 * A pager's output also ends at a shell escape (PAGER in the state).
 */
function quietAfter(split: PromptSplit, command: string): string {
  const kind = viewerKind(command);
  if (!kind) return '';
  const quiet = split.bare === '$' ? '#' : split.bare === '#' ? '$' : '$#';
  return kind === 'pager' ? quiet + PAGER : quiet;
}

/** In `prompt.quiet`: the output is a pager's (it ends at a shell escape). */
const PAGER = '!';
/**
 * What a pager or editor shows when asked to run something: less/more `!cmd` (also for `|` pipes),
 * vim's command line (`:!sh`, `:sh`, `:terminal`, `:py3 …`), nano's "Command to execute". Also in
 * the erased text: the pager clears its prompt line before running the command.
 */
const SHELL_ESCAPE = /^(?:!|:[!a-z]|Command to execute|Execute Command)/i;

function isShellEscape(line: TranscriptLine): boolean {
  return SHELL_ESCAPE.test(line.text) || line.erased.some((e) => SHELL_ESCAPE.test(e));
}

/** Programs that only print files or their input: none can start a shell or run a command. */
const PRINTERS = new Set([
  'cat',
  'tac',
  'nl',
  'head',
  'tail',
  'grep',
  'egrep',
  'fgrep',
  'rgrep',
  'zgrep',
  'zcat',
  'bzcat',
  'xzcat',
  'zstdcat',
  'jq',
  'column',
  'strings',
  'xxd',
  'od',
  'hexdump',
  'base64',
  'wc',
  'diff',
  'get-content',
  'gc',
  'type',
  'select-string',
  'sls',
  'format-hex',
]);
/** Pagers and editors: they show files but can start a shell (`!sh`, `:shell`), which ends their output. */
const PAGERS = new Set(['less', 'more', 'most', 'pg', 'bat', 'batcat', 'journalctl']);
/** Editors and pager front ends whose options can run commands (`vim -c`, `-S`, `man -P`): plain arguments only. */
const STRICT_PAGERS = new Set(['vi', 'vim', 'nvim', 'view', 'nano', 'man']);
/** git subcommands that only page their output. */
const GIT_PAGED = new Set(['log', 'show', 'diff', 'blame']);
const ELEVATE_WORDS = new Set(['sudo', 'doas']);
/** Shell syntax that can run something else: command lists, substitutions, process substitution. */
const RUNS_MORE = /[;&`\n]|\$\(|[<>]\(|\|\|/;
/** An argument that is a file name or a plain flag (no `+cmd`, `=value`, quotes, `!` or `:`). */
const PLAIN_ARG = /^-{0,2}[\w.,/~@%-]*$/;

/** 'printer' when every stage of the pipeline is a printer, 'pager' when one is a pager. */
function viewerKind(command: string): 'printer' | 'pager' | undefined {
  if (!command || command.length > MAX_VIEWER_COMMAND || RUNS_MORE.test(command)) return undefined;
  let kind: 'printer' | 'pager' = 'printer';
  for (const stage of command.split('|')) {
    const words = stage.trim().split(/\s+/);
    let w = 0;
    if (ELEVATE_WORDS.has(words[0] ?? '')) {
      w = 1;
      // Options only: `sudo -u bob cat` names a user and is not taken as a printer (safe side).
      while (words[w]?.startsWith('-')) w++;
    }
    const program = (words[w] ?? '')
      .replace(/^\\/, '')
      .replace(/^.*[/\\]/, '')
      .replace(/\.exe$/i, '')
      .toLowerCase();
    const args = words.slice(w + 1);
    if (PRINTERS.has(program)) continue;
    // A pager's own options could start a program without a shell escape on screen: keep them plain.
    const pager =
      (PAGERS.has(program) && args.every((a) => PLAIN_ARG.test(a))) ||
      (STRICT_PAGERS.has(program) && args.every((a) => PLAIN_ARG.test(a) && !a.startsWith('-'))) ||
      (program === 'git' && GIT_PAGED.has(args[0] ?? '') && args.every((a) => PLAIN_ARG.test(a)));
    if (!pager) return undefined;
    kind = 'pager';
  }
  return kind;
}

function setCommand(line: TranscriptLine, raw: string, start: number): void {
  let command = raw.trim();
  // Bash echoes ^C when the line is cancelled: the command never ran.
  const cancelled = command.endsWith('^C');
  if (cancelled) command = command.slice(0, -2).trimEnd();
  line.command = command;
  if (cancelled) line.cancelled = true;
  if (start !== line.n) line.commandStart = start;
}

/** Memo between deliveries: rules already reported for the last command, which may still continue. */
interface CommandState {
  last?: { start: number; rules: string[] };
}

/** Detector for risky commands (rules as data in shared/rules/command-rules.ts). */
export function createCommandDetector(rules: readonly CommandRule[] = COMMAND_RULES): Detector {
  return {
    name: 'commands',
    scan(lines, state) {
      const memo = state as CommandState;
      const out: Detection[] = [];
      const { any, perRule } = prefilterFor(rules);
      for (const line of lines) {
        if (!line.command) continue;
        // Whole: the rules are linear (test/rules/command-rules.test.ts), so a long command is never cut
        // (padding before `; nc -e …` must not hide it).
        const command = line.command;
        const start = line.commandStart ?? line.n;
        // A continuation line carries the whole command so far: report only rules its start did not.
        if (memo.last?.start !== start) memo.last = { start, rules: [] };
        const done = memo.last.rules;
        if (any && !any.test(command)) continue;
        for (let r = 0; r < rules.length; r++) {
          const rule = rules[r]!;
          if (done.includes(rule.id)) continue;
          const one = perRule[r];
          if (one ? !one.test(command) : !rule.patterns.some((p) => p.test(command))) continue;
          done.push(rule.id);
          out.push({
            ruleId: rule.id,
            category: 'risky-command',
            kind: rule.kind,
            severity: line.cancelled ? shiftSeverity(rule.severity, -1) : rule.severity,
            line: line.n,
            value: command,
          });
        }
      }
      return out;
    },
  };
}

/**
 * One regex that matches when any rule pattern does: most commands match none, and one pass over
 * them replaces one per pattern (npm run bench measures it). Only built when every pattern has the
 * same flags and no backreference, so the alternation means exactly "some pattern matches".
 * Cached per rule list and rebuilt when its patterns change (rules are data and may be edited).
 */
function prefilterFor(rules: readonly CommandRule[]): Prefilter {
  const cached = PREFILTERS.get(rules);
  if (cached && samePatterns(rules, cached)) return cached;
  const patterns = rules.flatMap((r) => r.patterns);
  const built: Prefilter = {
    patterns,
    counts: rules.map((r) => r.patterns.length),
    any: buildAnyPattern(patterns),
    // Per rule only when exact: `some(p => p.test())` is stateless without the g and y flags.
    perRule: rules.map((r) =>
      r.patterns.some((p) => p.global || p.sticky) ? undefined : buildAnyPattern(r.patterns),
    ),
  };
  PREFILTERS.set(rules, built);
  return built;
}

interface Prefilter {
  /** What it was built from: every pattern in order, and how many each rule has. */
  patterns: RegExp[];
  counts: number[];
  /** Matches when any pattern of any rule may: a command it rejects matches no rule. */
  any: RegExp | undefined;
  /** By rule index: matches exactly when one of the rule's patterns does. */
  perRule: Array<RegExp | undefined>;
}

/** Plain loops: this runs once per delivery, where allocating helpers showed in the bench. */
function samePatterns(rules: readonly CommandRule[], built: Prefilter): boolean {
  if (rules.length !== built.counts.length) return false;
  let k = 0;
  for (let r = 0; r < rules.length; r++) {
    const patterns = rules[r]!.patterns;
    if (patterns.length !== built.counts[r]) return false;
    for (const p of patterns) if (built.patterns[k++] !== p) return false;
  }
  return true;
}

const PREFILTERS = new WeakMap<readonly CommandRule[], Prefilter>();

function buildAnyPattern(patterns: readonly RegExp[]): RegExp | undefined {
  const flags = patterns[0]?.flags.replace(/[gy]/g, '');
  if (flags === undefined) return undefined;
  for (const p of patterns) {
    if (p.flags.replace(/[gy]/g, '') !== flags || /\\(?:[1-9]|k<)/.test(p.source)) return undefined;
  }
  try {
    return new RegExp(patterns.map((p) => `(?:${p.source})`).join('|'), flags);
  } catch {
    // E.g. the same named group in two patterns: no prefilter, every pattern runs.
    return undefined;
  }
}
