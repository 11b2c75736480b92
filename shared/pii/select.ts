import type { TranscriptLine } from '../transcript/types';

/**
 * Which text of a transcript line is worth sending to Comprehend. Everything sent is billed, so
 * text that cannot hold personal data stays local: escape residue, prompts, blank or symbol-only lines.
 */

// Escape sequences the agent keeps when its own stripping fails (see the corpus README), and C0/C1 controls.
const ESCAPES =
  /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[P^_X][^\u001b]*(?:\u001b\\)?|\u001b\[[0-?]*[ -/]*[@-~]?|\u001b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

// Shell and REPL prompts at the start of a line: user/host/path only, nothing a user typed.
const PROMPTS: readonly RegExp[] = [
  /^\[[^\]\n]{1,120}\][$#] ?/, // [ssm-user@ip-10-0-1-23 ~]$
  /^[\w.-]{1,64}@[\w.-]{1,253}:[^\s$#]{0,200}[$#](?: |$)/, // user@host:~/dir$
  /^(?:sh|bash|zsh)-\d+(?:\.\d+)*[$#] ?/, // sh-5.2$
  /^PS [^>\n]{1,200}> ?/, // PS C:\Users\me>
  /^(?:>>>|\.\.\.)(?: |$)/, // python REPL
];

const MIN_ALNUM = 3;
const ALNUM = /[\p{L}\p{N}]/gu;

/** Remove terminal control residue; cheap when there is none. */
export function cleanResidue(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(ESCAPES, '') : text;
}

/** Text after a known prompt shape, or the text unchanged when it does not start with one. */
export function stripPrompt(text: string, command?: string): string {
  if (command && text.length > command.length && text.endsWith(command)) {
    const prefix = text.slice(0, text.length - command.length);
    if (PROMPTS.some((p) => p.exec(prefix)?.[0].length === prefix.length)) return command;
  }
  for (const p of PROMPTS) {
    const m = p.exec(text);
    if (m) return text.slice(m[0].length);
  }
  return text;
}

/** True when the text has enough letters or digits to hold any personal data. */
export function mayHoldPii(text: string): boolean {
  let n = 0;
  ALNUM.lastIndex = 0;
  while (ALNUM.exec(text)) if (++n >= MIN_ALNUM) return true;
  return false;
}

/** The texts of one line to scan: what the screen showed (prompt removed) and each erased fragment. */
export function textsToScan(line: TranscriptLine): string[] {
  const out: string[] = [];
  const shown = stripPrompt(cleanResidue(line.text), line.command).trim();
  if (mayHoldPii(shown)) out.push(shown);
  for (const e of line.erased) {
    const t = cleanResidue(e).trim();
    if (mayHoldPii(t)) out.push(t);
  }
  return out;
}
