/**
 * ARN patterns of the configuration (`*` = any run of characters, case ignored), matched without a
 * regular expression: a pattern with many `*` against a long ARN must not backtrack. Each segment
 * between stars is found leftmost after the previous one (greedy leftmost is exact for `*`-only
 * globs), so a match costs at most one `indexOf` per segment.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  const parts = p.split('*');
  if (parts.length === 1) return p === t;
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (first.length + last.length > t.length || !t.startsWith(first) || !t.endsWith(last)) return false;
  const end = t.length - last.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const found = t.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//;
const ROLE = ':role/';

/**
 * Whether a principal ARN matches an ARN pattern, as `autoTerminate.exemptPrincipals` does
 * (shared/respond isExempt): an assumed-role session ARN also matches as its role ARN, and a pattern
 * with a role path also as the role name alone, since the session ARN drops the path.
 */
export function principalMatches(arn: string, pattern: string): boolean {
  const candidates = [arn];
  const assumed = ASSUMED_ROLE.exec(arn);
  if (assumed) candidates.push(`arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`);
  const variants = [pattern];
  const unpathed = assumed ? withoutRolePath(pattern) : undefined;
  if (unpathed) variants.push(unpathed);
  return variants.some((v) => candidates.some((c) => globMatch(v, c)));
}

/** `…:role/some/path/Name*` → `…:role/Name*`; undefined when the pattern names no role path. */
function withoutRolePath(pattern: string): string | undefined {
  const i = pattern.lastIndexOf(ROLE);
  if (i < 0) return undefined;
  const segments = pattern.slice(i + ROLE.length).split('/');
  if (segments.length < 2 || segments.some((s) => s === '')) return undefined;
  return `${pattern.slice(0, i + ROLE.length)}${segments.at(-1)}`;
}
