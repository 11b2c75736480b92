import { type SecretKind, secretRule } from '../rules/secret-rules';
import type { Detection, Detector, DetectorState, TranscriptLine } from '../transcript/types';
import { countHit, type DetectionList, MAX_LINE_VALUES } from './limits';
import { charClasses, execAll, githubChecksumValid, jwtHeaderValid } from './validators';
import { findWindowed } from './windows';

/** A secret found in one piece of text. `value` is internal: mask it before it goes anywhere. */
export interface SecretMatch {
  ruleId: string;
  kind: SecretKind;
  start: number;
  end: number;
  value: string;
}

interface Matcher {
  ruleId: string;
  kind: SecretKind;
  /**
   * Lower-case substrings, one of which must be present (case-insensitively) wherever `re` matches.
   * As specific as the pattern allows: a hint found on most lines (`$`, `--`, `gh`) gates nothing.
   */
  hint: readonly string[];
  /** Global + `d` (indices) regex; the value is the named group `v`, or the whole match. */
  re: RegExp;
  valid?: (value: string) => boolean;
}

const B64 = 'A-Za-z0-9/+';
/** A quoted or bare argument, as a shell would split it. */
const ARG = `'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>[^\\s'"]+)`;
/**
 * Same-command scope after a tool's name: stop at pipes, separators, line ends, and at the next
 * occurrence of the same name. A match that crossed a later name is found again from that name with
 * the same value (the flag always starts with a blank or a dash, never inside a name), so stopping
 * there changes no result but makes the scan linear: a line of `curl curl curl …` used to rescan the
 * rest of the line from every name (400 KB: 30 s).
 */
const sameCommand = (tool: string): string => `(?:(?!${tool})[^|;&\\n])*?`;
/** `tool`, then anything in the same command, then `flag` (which starts with a blank). */
const toolFlag = (tool: string, flag: string, flags: string): RegExp =>
  new RegExp(`${tool}${sameCommand(tool)}${flag}`, flags);
const MONGO = '\\bmongo(?:sh|dump|restore|export|import)?\\b';
const LDAP = '\\bldap[a-z]+\\b';
const LOGIN = '\\b(?:az|docker|podman|helm\\s+registry)\\s+login\\b';
/**
 * Between a label and its value: `=` or `:` with optional blanks, or blanks alone. Written without
 * the overlap of `\s*(?:[:=]|\s)\s*`, which tried every split of a long blank run (quadratic).
 */
const LABEL_SEP = '(?:\\s*[:=]\\s*|\\s+)';

const awsSecretShape = (v: string): boolean => {
  const c = charClasses(v);
  return c.upper && c.lower && (c.digit || c.other) && !/^[0-9a-fA-F]+$/.test(v);
};

/** Placeholders, variables, booleans, paths and masked values are not passwords (weak real ones are). */
export function isPlaceholder(v: string): boolean {
  const s = v.trim();
  if (s.length < 3) return true;
  if (/^[$%<{[]|^\/|^\.\.?\//.test(s)) return true;
  if (/^(.)\1*$/.test(s)) return true;
  if (/^\*+.{0,4}$/.test(s)) return true;
  return (
    /^(null|none|nil|true|false|undefined|empty|redacted|hidden|masked|required|optional|string|xxx+|\.\.\.|your[-_]?\w*|example|prompt|stdin)$/i.test(
      s,
    ) || /hidden|redacted/i.test(s)
  );
}

/** Order = priority when two matches overlap: specific token shapes before generic password forms. */
const MATCHERS: readonly Matcher[] = [
  {
    ruleId: 'secret-private-key',
    kind: 'PRIVATE_KEY',
    hint: ['-----begin'],
    re: /-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 |DH )?PRIVATE KEY(?: BLOCK)?-----/dg,
  },
  {
    // Key bodies without their marker: DER prefixes of RSA, PKCS#8, SEC1 EC and OpenSSH private keys.
    ruleId: 'secret-private-key',
    kind: 'PRIVATE_KEY',
    hint: ['mii', 'mhccaqeei', 'migkagebbd', 'mighageambmgbyqgsm49', 'mc4caqaw', 'b3blbnnzac1rzxktdjea'],
    re: new RegExp(
      `(?<![${B64}])(?<v>(?:MII[${B64}]{3}IBAAK|MII[${B64}]{3}IBADANBgkqhkiG9w0BAQ|MHcCAQEEI|MIGkAgEBBD|MIGHAgEAMBMGByqGSM49|MC4CAQAwBQYDK2VwBCIEI|b3BlbnNzaC1rZXktdjEA)[${B64}]{20,}={0,2})`,
      'dg',
    ),
  },
  {
    ruleId: 'secret-github-token',
    kind: 'GITHUB_TOKEN',
    hint: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    re: /(?<![A-Za-z0-9_])(?<v>gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])/dg,
    valid: githubChecksumValid,
  },
  {
    ruleId: 'secret-github-token',
    kind: 'GITHUB_TOKEN',
    hint: ['github_pat_'],
    re: /(?<![A-Za-z0-9_])(?<v>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])/dg,
  },
  {
    ruleId: 'secret-gitlab-token',
    kind: 'GITLAB_TOKEN',
    hint: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'glsoat-', 'glcbt-', 'gloas-', 'glimt-'],
    re: /(?<![A-Za-z0-9_-])(?<v>gl(?:pat|dt|rt|ptt|ft|soat|cbt|oas|imt)-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?![A-Za-z0-9_-])/dg,
    valid: (v) => {
      const body = v.slice(v.indexOf('-') + 1);
      const c = charClasses(body);
      return !/^(.)\1+$/.test(body) && [c.upper, c.lower, c.digit].filter(Boolean).length >= 2;
    },
  },
  {
    ruleId: 'secret-slack-webhook',
    kind: 'SLACK_WEBHOOK',
    hint: ['hooks.slack.com'],
    re: /https:\/\/hooks\.slack\.com\/(?:services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32}|workflows\/T[A-Z0-9]{6,12}\/A[A-Z0-9]{6,12}\/\d{6,20}\/[A-Za-z0-9]{20,40}|triggers\/T[A-Z0-9]{6,12}\/\d{6,20}\/[a-f0-9]{20,40})/dg,
  },
  {
    ruleId: 'secret-slack-token',
    kind: 'SLACK_TOKEN',
    hint: ['xox', 'xapp-'],
    re: /(?<![A-Za-z0-9])(?<v>xox[abposr]-(?:\d{6,}-){1,3}[A-Za-z0-9]{16,}|xapp-\d-[A-Z0-9]{8,14}-\d{8,16}-[a-f0-9]{32,}|xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{60,})(?![A-Za-z0-9])/dg,
  },
  {
    ruleId: 'secret-jwt',
    kind: 'JWT',
    hint: ['eyj'],
    re: /(?<![A-Za-z0-9_.-])(?<v>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)(?![A-Za-z0-9_-])/dg,
    valid: (v) => jwtHeaderValid(v.slice(0, v.indexOf('.'))),
  },
  {
    ruleId: 'secret-aws-session-token',
    kind: 'AWS_SESSION_TOKEN',
    hint: ['token'],
    re: new RegExp(
      `(?:session_?token|security_?token|"token")["']?${LABEL_SEP}["']?(?<v>[${B64}]{100,}={0,2})(?![${B64}])`,
      'dgi',
    ),
  },
  {
    // STS tokens carry a recognisable protobuf header ("…origin_ec", "FwoGZXIvYXdz") even without a label.
    ruleId: 'secret-aws-session-token',
    kind: 'AWS_SESSION_TOKEN',
    hint: ['b3jpz2lux2', 'zxivyxdz'],
    re: new RegExp(
      `(?<![${B64}])(?<v>(?:[${B64}]{4}b3JpZ2luX2|FwoGZXIvYXdz|FQoGZXIvYXdz)[${B64}]{80,}={0,2})(?![${B64}])`,
      'dg',
    ),
  },
  {
    ruleId: 'secret-aws-secret-key',
    kind: 'AWS_SECRET_KEY',
    hint: ['secret'],
    re: new RegExp(
      `(?:secret_?access_?key|aws_?secret(?:_?key)?|secret_?key)["']?${LABEL_SEP}["']?(?<v>[${B64}]{40})(?![${B64}=])`,
      'dgi',
    ),
    valid: awsSecretShape,
  },
  {
    ruleId: 'secret-aws-access-key',
    kind: 'AWS_ACCESS_KEY',
    hint: ['akia', 'asia', 'abia', 'acca'],
    re: /(?<![A-Za-z0-9])(?<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])/dg,
  },
  {
    ruleId: 'secret-password-hash',
    kind: 'PASSWORD',
    hint: ['$1$', '$5$', '$6$', '$2', '$y$', '$gy$', '$7$'],
    re: /(?<![A-Za-z0-9$])(?<v>\$(?:1|5|6)\$(?:rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$(?:[./0-9A-Za-z]{86}|[./0-9A-Za-z]{43}|[./0-9A-Za-z]{22})|\$2[abxy]?\$\d\d\$[./0-9A-Za-z]{53}|\$(?:y|gy|7)\$[./0-9A-Za-z]+\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{43})(?![./0-9A-Za-z])/dg,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['mysql', 'mariadb'],
    re: toolFlag(
      '\\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlsh|mariadb(?:-dump|-admin)?)\\b',
      `\\s-p(?:${ARG})`,
      'dg',
    ),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['sshpass'],
    re: toolFlag('\\bsshpass\\b', `\\s-p\\s*(?:${ARG})`, 'dg'),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['redis-cli'],
    re: toolFlag('\\bredis-cli\\b', `\\s(?:-a|--pass)\\s+(?:${ARG})`, 'dg'),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['sqlcmd', 'bcp', 'osql', 'isql'],
    re: toolFlag('\\b(?:sqlcmd|bcp|osql|isql)(?:\\.exe)?\\b', `\\s-P\\s*(?:${ARG})`, 'dgi'),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['curl', 'wget'],
    re: toolFlag('\\b(?:curl|wget)\\b', `\\s(?:-u|--user)[\\s=]*['"]?[^\\s:'"]+:(?<v>[^\\s'"@]+)`, 'dg'),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    // The flag always holds a password word: `--` alone is on most prompt and option lines.
    hint: ['pass', 'pwd'],
    re: new RegExp(
      `(?<=\\s|^)--(?:db-|http-|proxy-|ftp-|admin-|user-|root-|master-|new-|login-)?(?:password|passwd|pass|pwd)(?:=|\\s+(?!-))(?:${ARG})`,
      'dgi',
    ),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['pass:'],
    re: /-pass(?:in|out)?\s+pass:(?<v>\S+)/dg,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['net'],
    re: /\bnet(?:\.exe)?\s+user\s+(?:"[^"]+"|[^\s/"]+)\s+(?:"(?<q2>[^"]+)"|(?<v>[^\s*/"][^\s"]*))(?=\s|$)/dgi,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['://'],
    re: /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@'"]{0,256}:(?<v>[^\s@/'"]+)@[A-Za-z0-9[]/dgi,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['chpasswd'],
    re: /\becho\s+['"]?[a-z_][a-z0-9_.-]*:(?<v>[^\s'"]+)['"]?\s*\|\s*(?:sudo\s+)?chpasswd\b/dgi,
  },
  {
    // Tools whose password flag takes a separate argument: mongo -p, ldapsearch -w, az/docker login -p.
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['mongo', 'ldap', 'login'],
    re: new RegExp(
      `(?:${MONGO}${sameCommand(MONGO)}\\s-p|${LDAP}${sameCommand(LDAP)}\\s-w|${LOGIN}${sameCommand(LOGIN)}\\s-p)\\s+(?!-)(?:${ARG})`,
      'dg',
    ),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['htpasswd'],
    // The flag holding `b` is found by lookahead, not by backtracking over it (`-bbbb…` was quadratic).
    re: new RegExp(
      `\\bhtpasswd\\s+(?:-[a-zA-Z]+\\s+)*-(?=[a-zA-Z]*b)[a-zA-Z]+\\s+\\S+\\s+\\S+\\s+(?:${ARG})`,
      'dg',
    ),
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['smbclient', 'rpc', 'winexe', 'mount.cifs'],
    re: toolFlag(
      '\\b(?:smbclient|rpcclient|net\\s+rpc|winexe|mount\\.cifs)\\b',
      `\\s-U\\s*['"]?[^\\s%'"]+%(?<v>[^\\s'"]+)`,
      'dg',
    ),
  },
  {
    // `echo pw | sudo -S …` feeds sudo its password on stdin.
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['sudo'],
    re: /\becho\s+(?:-n\s+)?(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>[^\s'"|]+))\s*\|\s*sudo\s+(?:-\w+\s+)*-S\b/dg,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['machine'],
    re: /\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?<v>\S+)/dg,
  },
  {
    ruleId: 'secret-password-cli',
    kind: 'PASSWORD',
    hint: ['convertto-securestring'],
    re: /ConvertTo-SecureString\s+(?:-String\s+)?(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)")\s+-AsPlainText/dgi,
  },
  {
    // KEY=value / KEY = value (env, ini, shell, PowerShell $env:KEY), key ending in a password word.
    // The key starts at the start of its run only, so long dotted/dashed runs cost linear time.
    ruleId: 'secret-password-assignment',
    kind: 'PASSWORD',
    hint: ['pass', 'pwd'],
    re: new RegExp(
      `(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)\\s*=\\s*(?:${ARG})`,
      'dgi',
    ),
  },
  {
    ruleId: 'secret-password-assignment',
    kind: 'PASSWORD',
    hint: ['pass', 'pwd'],
    re: /"[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)"\s*:\s*"(?<v>[^"]+)"/dgi,
  },
  {
    // YAML `password: value` only as a whole line, so prose ("password: must be…") stays quiet.
    ruleId: 'secret-password-assignment',
    kind: 'PASSWORD',
    hint: ['pass', 'pwd'],
    re: /^\s*(?:-\s*)?[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)\s*:\s*(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>\S+))\s*$/dgi,
  },
];

const PASSWORD_RULES = new Set(['secret-password-cli', 'secret-password-assignment']);

/** Every hint of every matcher, longest first. */
const HINTS = [...new Set(MATCHERS.flatMap((m) => m.hint))].sort((a, b) => b.length - a.length);

/** ASCII lower case of a UTF-16 code unit; anything else is returned as is (no Unicode folding). */
const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c);

/** A hint and the matchers it gates, bucketed by its first two (lower-case ASCII) characters. */
interface HintEntry {
  hint: string;
  /** Index into HINTS. */
  index: number;
  matchers: readonly number[];
}

/**
 * Buckets keyed by the hint's first two characters (7 bits each). Every hint is ASCII, lower-case and
 * at least two characters long (checked here), so a pair key names every hint that can start at a
 * position. The lookup replaced a case-insensitive regex trie of all hints run over every line
 * (corpus: gate 0.40 → 0.12 ms a run, transcriptScanRatio +0.01).
 */
const HINT_PAIRS: Array<HintEntry[] | undefined> = new Array(1 << 14);
for (const [index, hint] of HINTS.entries()) {
  if (hint.length < 2 || !/^[\x20-\x7e]+$/.test(hint) || hint !== hint.toLowerCase())
    throw new Error(`secret hint must be printable lower-case ASCII of 2+ characters: ${hint}`);
  const key = (hint.charCodeAt(0) << 7) | hint.charCodeAt(1);
  const matchers = MATCHERS.flatMap((m, i) => (m.hint.includes(hint) ? [i] : []));
  const bucket = HINT_PAIRS[key] ?? [];
  bucket.push({ hint, index, matchers });
  HINT_PAIRS[key] = bucket;
}

/** Whether `hint` occurs in `text` at `at` (its first two characters already matched), ASCII case-insensitively. */
function hintAt(text: string, at: number, hint: string): boolean {
  if (at + hint.length > text.length) return false;
  for (let k = 2; k < hint.length; k++)
    if (lowerAscii(text.charCodeAt(at + k)) !== hint.charCodeAt(k)) return false;
  return true;
}

/**
 * Calls `found` for every occurrence of every hint in `text` (ASCII case-insensitive, overlapping
 * occurrences included): one pass with a pair-table lookup per character.
 */
function forEachHint(text: string, found: (entry: HintEntry) => void): void {
  let prev = text.length > 0 ? lowerAscii(text.charCodeAt(0)) : 0;
  for (let i = 1; i < text.length; i++) {
    const c = lowerAscii(text.charCodeAt(i));
    if (prev < 128 && c < 128) {
      const bucket = HINT_PAIRS[(prev << 7) | c];
      if (bucket !== undefined) for (const e of bucket) if (hintAt(text, i - 1, e.hint)) found(e);
    }
    prev = c;
  }
}

let wantedNow: Uint8Array | undefined;
const markWanted = (e: HintEntry): void => {
  wantedNow ??= new Uint8Array(MATCHERS.length);
  for (const i of e.matchers) wantedNow[i] = 1;
};

/** Which matchers may match `text`: undefined when no hint occurs in it. */
function candidates(text: string): Uint8Array | undefined {
  wantedNow = undefined;
  forEachHint(text, markWanted);
  const wanted = wantedNow;
  wantedNow = undefined;
  return wanted;
}

/**
 * The hints present in `text`: for ASCII text exactly the hints a lower-cased `includes` finds (the
 * gate the pair scan replaced). Exported for tests and diagnostics.
 */
export function secretHintsIn(text: string): string[] {
  const found = new Uint8Array(HINTS.length);
  forEachHint(text, (e) => {
    found[e.index] = 1;
  });
  return HINTS.filter((_, i) => found[i] === 1);
}

/** Every matcher hint, longest first. */
export const SECRET_HINTS: readonly string[] = HINTS;

/**
 * Secrets in one piece of text (stateless). Overlaps are resolved by matcher priority. A long text is
 * scanned in overlapping windows (see windows.ts): linear in its length whatever it holds.
 */
export function findSecrets(text: string): SecretMatch[] {
  if (typeof text !== 'string' || text.length < 8) return [];
  return findWindowed(text, findSecretsIn);
}

function findSecretsIn(text: string): SecretMatch[] {
  const wanted = candidates(text);
  if (!wanted) return [];
  const found: Array<SecretMatch & { prio: number }> = [];
  for (let prio = 0; prio < MATCHERS.length; prio++) {
    if (!wanted[prio]) continue;
    const m = MATCHERS[prio]!;
    for (const hit of execAll(m.re, text)) {
      const span = valueSpan(hit);
      if (!span) continue;
      const value = text.slice(span[0], span[1]);
      if (m.valid && !m.valid(value)) continue;
      if (PASSWORD_RULES.has(m.ruleId) && isPlaceholder(value)) continue;
      found.push({ ruleId: m.ruleId, kind: m.kind, start: span[0], end: span[1], value, prio });
    }
  }
  if (found.length === 0) return [];
  addSecretAfterKeyId(text, found);
  if (found.length === 1) {
    const f = found[0]!;
    return [{ ruleId: f.ruleId, kind: f.kind, start: f.start, end: f.end, value: f.value }];
  }
  found.sort((a, b) => a.prio - b.prio || a.start - b.start);
  const kept: SecretMatch[] = [];
  // Characters already claimed by a higher-priority match (linear, even with thousands of hits).
  const claimed = new Uint8Array(text.length);
  for (const f of found) {
    if (claimed.subarray(f.start, f.end).includes(1)) continue;
    claimed.fill(1, f.start, f.end);
    kept.push({ ruleId: f.ruleId, kind: f.kind, start: f.start, end: f.end, value: f.value });
  }
  return kept.sort((a, b) => a.start - b.start);
}

function valueSpan(hit: RegExpMatchArray): [number, number] | undefined {
  const groups = hit.indices?.groups;
  for (const name of ['v', 'q1', 'q2']) {
    const g = groups?.[name];
    if (g) return g;
  }
  if (groups && Object.keys(groups).length > 0) return undefined;
  const whole = hit.indices?.[0];
  return whole ? [whole[0], whole[1]] : undefined;
}

/** Sticky: tried right after each key id, without copying the rest of the line. */
const AFTER_KEY_ID = new RegExp(`[\\s,;:|"'=]{1,6}(?<v>[${B64}]{40})(?![${B64}=])`, 'dy');
const WHOLE_LINE_SECRET = new RegExp(`^\\s*["']?([${B64}]{40})["']?\\s*(?:,\\s*)?$`);

/** A 40-character secret right after an access key id on the same line (credentials CSV, tables). */
function addSecretAfterKeyId(text: string, found: Array<SecretMatch & { prio: number }>): void {
  for (const f of found) {
    if (f.kind !== 'AWS_ACCESS_KEY') continue;
    AFTER_KEY_ID.lastIndex = f.end;
    const m = AFTER_KEY_ID.exec(text);
    const g = m?.indices?.groups?.v;
    if (!m || !g || !awsSecretShape(m.groups!.v!)) continue;
    found.push({
      ruleId: 'secret-aws-secret-key',
      kind: 'AWS_SECRET_KEY',
      start: g[0],
      end: g[1],
      value: m.groups!.v!,
      prio: -1,
    });
  }
}

/** Per-session memo: inside a PEM block, and where the last lone access key id was seen. */
interface SecretState {
  pem?: { bodyReported: boolean };
  keyIdLine?: number;
}

const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BODY = /^[A-Za-z0-9+/=]{16,}$/;
const PEM_HEADER = /^(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset): /;

function detection(match: Pick<SecretMatch, 'ruleId' | 'kind' | 'value'>, line: number): Detection {
  return {
    ruleId: match.ruleId,
    category: 'secret',
    kind: match.kind,
    severity: secretRule(match.ruleId).severity,
    line,
    value: match.value,
  };
}

/**
 * Secrets in transcript lines: the shown text, every erased fragment, and the typed command when it
 * is not on the line itself (continuations). Keeps PEM-block and key-id context in `state` (mutated).
 */
export const secretDetector: Detector = {
  name: 'secrets',
  scan(lines: readonly TranscriptLine[], state: DetectorState): Detection[] {
    const memo = state as SecretState;
    // The memo comes back from a store: drop anything that is not the shape written here.
    if (typeof memo.pem !== 'object' || memo.pem === null) delete memo.pem;
    if (typeof memo.keyIdLine !== 'number') delete memo.keyIdLine;
    const out: DetectionList = [];
    for (const line of lines) {
      if (typeof line.text !== 'string') continue;
      const textMatches = findSecrets(line.text);
      // Same kind and value twice on one line is one detection (a shared set: no allocation per line).
      if (LINE_SEEN.size > 0) LINE_SEEN.clear();
      const seen = LINE_SEEN;
      for (const m of textMatches) emit(out, seen, m, line.n);
      for (const fragment of line.erased ?? [])
        for (const m of findSecrets(fragment)) emit(out, seen, m, line.n);
      if (line.command && !line.text.includes(line.command))
        for (const m of findSecrets(line.command)) emit(out, seen, m, line.n);
      if (textMatches.length > 0 || memo.pem) trackPem(line.text, textMatches, memo, out, seen, line.n);
      if (textMatches.length > 0 || memo.keyIdLine !== undefined)
        trackKeyId(line, textMatches, memo, out, seen);
    }
    return out;
  },
};

/** Kind + value already reported on the line being scanned (scan is synchronous, so one set serves all). */
const LINE_SEEN = new Set<string>();

/**
 * Adds a detection unless the line already has one of the same kind and value (no closure per line).
 * Past MAX_LINE_VALUES values on the line, hits are only counted (repeats included).
 */
function emit(
  out: DetectionList,
  seen: Set<string>,
  m: Pick<SecretMatch, 'ruleId' | 'kind' | 'value'>,
  line: number,
): void {
  if (seen.size >= MAX_LINE_VALUES) {
    const d = detection(m, line);
    countHit(out, { ruleId: d.ruleId, category: d.category, kind: d.kind, severity: d.severity, line });
    return;
  }
  const key = `${m.kind}\u0000${m.value}`;
  if (seen.has(key)) return;
  seen.add(key);
  out.push(detection(m, line));
}

function trackPem(
  text: string,
  matches: readonly SecretMatch[],
  memo: SecretState,
  out: DetectionList,
  seen: Set<string>,
  n: number,
): void {
  const marker = matches.find((m) => m.ruleId === 'secret-private-key' && m.value.startsWith('-----BEGIN'));
  if (marker) {
    memo.pem = { bodyReported: false };
    if (PEM_END.test(text.slice(marker.end))) delete memo.pem;
    return;
  }
  if (!memo.pem) return;
  const body = text.trim();
  if (PEM_END.test(body)) {
    delete memo.pem;
  } else if (PEM_BODY.test(body)) {
    if (!memo.pem.bodyReported)
      emit(out, seen, { ruleId: 'secret-private-key', kind: 'PRIVATE_KEY', value: body }, n);
    memo.pem.bodyReported = true;
  } else if (body !== '' && !PEM_HEADER.test(body)) {
    // Anything else (a prompt, an error) means the block was cut short.
    delete memo.pem;
  }
}

function trackKeyId(
  line: TranscriptLine,
  matches: readonly SecretMatch[],
  memo: SecretState,
  out: DetectionList,
  seen: Set<string>,
): void {
  const hasKeyId = matches.some((m) => m.kind === 'AWS_ACCESS_KEY');
  const hasSecret = matches.some((m) => m.kind === 'AWS_SECRET_KEY');
  if (hasKeyId) {
    if (hasSecret) delete memo.keyIdLine;
    else memo.keyIdLine = line.n;
    return;
  }
  if (memo.keyIdLine === undefined) return;
  if (line.n - memo.keyIdLine > 2) {
    delete memo.keyIdLine;
    return;
  }
  const lone = WHOLE_LINE_SECRET.exec(line.text)?.[1];
  if (lone && awsSecretShape(lone)) {
    emit(out, seen, { ruleId: 'secret-aws-secret-key', kind: 'AWS_SECRET_KEY', value: lone }, line.n);
    delete memo.keyIdLine;
  }
}
