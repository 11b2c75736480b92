import { shiftSeverity } from '../model/finding';
import { COMMAND_RULES, type CommandRule } from '../rules/command-rules';
import type { Detection, Detector, TranscriptLine } from './types';

/**
 * Commands typed after a prompt. Only terminal output is logged, so a command is the echoed text
 * after a recognisable prompt: `[user@host dir]$ `, `user@host:dir# `, `sh-5.2$ `, `bash-4.2# `,
 * zsh `user@host dir % `, PowerShell `PS C:\…> `. A bare `$ ` or `# ` is not taken as a prompt: it
 * is far more often a comment or a runbook line shown by cat/less.
 */
const POSIX_PROMPT =
  /(?:\[[^\s[\]@]+@[^\s[\]]+(?: [^[\]\n]{0,200})?\]|[\w.-]+@[\w.-]+(?::[^\s$#%]{0,200}| [^\s$#%]{1,200})?|(?:ba|z|k|da|c|tc)?sh-\d+(?:\.\d+)*)(?:[$#]| ?%) /;
const PS_PROMPT = /PS (?:[A-Za-z]:\\|\/)[^\n>]{0,240}> |PS> /;
/** Cheap prefilter: every prompt above ends with one of these. */
const PROMPT_END = /[$#%>] /;
/** Longest command text handed to the rules (bounds regex time on pathological lines). */
const MAX_COMMAND = 8192;

export interface PromptSplit {
  prompt: string;
  command: string;
  shell: 'posix' | 'powershell';
}

/** Find the first prompt on a screen line (output may precede it) and the command after it. */
export function splitPrompt(text: string): PromptSplit | undefined {
  if (!PROMPT_END.test(text)) return undefined;
  const ps = PS_PROMPT.exec(text);
  const px = POSIX_PROMPT.exec(text);
  const m = ps && (!px || ps.index <= px.index) ? ps : px;
  if (!m) return undefined;
  const end = m.index + m[0].length;
  return {
    prompt: text.slice(m.index, end),
    command: text.slice(end),
    shell: m === ps ? 'powershell' : 'posix',
  };
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
 * are already annotated and give the state of a command still open across deliveries.
 */
export function annotateCommands(lines: TranscriptLine[], from = 0): void {
  for (let i = Math.max(0, from); i < lines.length; i++) {
    const line = lines[i]!;
    const prev = i > 0 ? lines[i - 1] : undefined;
    const split = splitPrompt(line.text);
    if (split) {
      setCommand(line, split.command, line.n);
      continue;
    }
    // Continuation prompt (`> ` for sh, `>> ` for PowerShell) after an open command line.
    const cont = /^>>? /.exec(line.text);
    if (cont && prev?.command !== undefined && !prev.cancelled && isOpenCommand(prev.command)) {
      const head = prev.command.trimEnd().replace(/\\$/, '');
      setCommand(line, `${head} ${line.text.slice(cont[0].length)}`, prev.commandStart ?? prev.n);
    }
  }
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
        const command = line.command.length > MAX_COMMAND ? line.command.slice(0, MAX_COMMAND) : line.command;
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
 * them replaces ~70 (corpus rule examples: 0.65 → 0.05 ms). Only built when every pattern has the
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

/** Plain loops: this runs once per delivery (flatMap + every here cost 8 µs a call). */
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
