import { SECRET_RULES, type SecretRule } from '../rules/secret-rules';
import type { Detection, Detector, DetectorState, TranscriptLine } from '../transcript/types';
import { HintScan } from './hints';
import { countHit, type DetectionList, MAX_LINE_VALUES } from './limits';
import type { SecretContext, SecretMatch } from './secret-patterns';
import { execAll } from './validators';
import { findWindowed } from './windows';

export type { SecretMatch } from './secret-patterns';

/** One pattern of one rule, with the rule's own check folded into `valid`. */
interface Matcher {
  rule: SecretRule;
  re: RegExp;
  valid?: (value: string) => boolean;
}

/** A match with the rule that found it and its priority (its matcher's index; -1: found beside another). */
interface Hit extends SecretMatch {
  rule: SecretRule;
  prio: number;
}

/** The rules compiled for the engine: every pattern in priority order, and the prefilter over them. */
interface Engine {
  matchers: readonly Matcher[];
  gate: HintScan;
  beside: readonly SecretRule[];
  contexts: ReadonlyArray<{ rule: SecretRule; context: SecretContext }>;
}

function compile(rules: readonly SecretRule[]): Engine {
  const matchers: Matcher[] = [];
  const hints: Array<readonly string[]> = [];
  for (const rule of rules) {
    for (const p of rule.patterns) {
      const own = p.valid;
      const all = rule.valid;
      const valid = own && all ? (v: string) => own(v) && all(v) : (own ?? all);
      matchers.push(valid ? { rule, re: p.re, valid } : { rule, re: p.re });
      hints.push(p.hint);
    }
  }
  return {
    matchers,
    gate: new HintScan(hints),
    beside: rules.filter((r) => r.beside),
    contexts: rules.flatMap((rule) => (rule.context ? [{ rule, context: rule.context }] : [])),
  };
}

/** Built on first use: the rules file imports this module (its family runs the detector). */
let compiled: Engine | undefined;
const engine = (): Engine => {
  compiled ??= compile(SECRET_RULES);
  return compiled;
};

/**
 * Secrets in one piece of text (stateless). Overlaps are resolved by rule priority. A long text is
 * scanned in overlapping windows (see windows.ts): linear in its length whatever it holds.
 */
export function findSecrets(text: string): SecretMatch[] {
  return findHits(text).map((h) => ({
    ruleId: h.ruleId,
    kind: h.kind,
    start: h.start,
    end: h.end,
    value: h.value,
  }));
}

function findHits(text: string): Hit[] {
  if (typeof text !== 'string' || text.length < 8) return [];
  return findWindowed(text, findHitsIn);
}

function hit(rule: SecretRule, start: number, end: number, value: string, prio: number): Hit {
  return { ruleId: rule.id, kind: rule.kind, start, end, value, rule, prio };
}

function findHitsIn(text: string): Hit[] {
  const { matchers, gate, beside } = engine();
  const wanted = gate.candidates(text);
  if (!wanted) return [];
  const found: Hit[] = [];
  for (let prio = 0; prio < matchers.length; prio++) {
    if (!wanted[prio]) continue;
    const m = matchers[prio]!;
    for (const h of execAll(m.re, text)) {
      const span = valueSpan(h);
      if (!span) continue;
      const value = text.slice(span[0], span[1]);
      if (m.valid && !m.valid(value)) continue;
      found.push(hit(m.rule, span[0], span[1], value, prio));
    }
  }
  if (found.length === 0) return [];
  for (const rule of beside)
    rule.beside?.(text, found, (start, end) => found.push(hit(rule, start, end, text.slice(start, end), -1)));
  if (found.length === 1) return found;
  found.sort((a, b) => a.prio - b.prio || a.start - b.start);
  const kept: Hit[] = [];
  // Characters already claimed by a higher-priority match (linear, even with thousands of hits).
  const claimed = new Uint8Array(text.length);
  for (const f of found) {
    if (claimed.subarray(f.start, f.end).includes(1)) continue;
    claimed.fill(1, f.start, f.end);
    kept.push(f);
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

function detection(rule: SecretRule, value: string, line: number): Detection {
  return { ruleId: rule.id, category: 'secret', kind: rule.kind, severity: rule.severity, line, value };
}

/**
 * Secrets in transcript lines: the shown text, every erased fragment, and the typed command when it
 * is not on the line itself (continuations). Rules with a context keep it in `state` (mutated).
 */
export const secretDetector: Detector = {
  name: 'secrets',
  scan(lines: readonly TranscriptLine[], state: DetectorState): Detection[] {
    const { contexts } = engine();
    // The memos come back from a store: drop anything that is not the shape a rule writes. They are
    // read once into `memos` (state is written back on every change); `open` counts those set.
    const memos: unknown[] = [];
    let open = 0;
    for (const { context } of contexts) {
      if (context.memo in state && !context.holds(state[context.memo])) delete state[context.memo];
      const memo = state[context.memo];
      memos.push(memo);
      if (memo !== undefined) open++;
    }
    const out: DetectionList = [];
    for (const line of lines) {
      if (typeof line.text !== 'string') continue;
      const textHits = findHits(line.text);
      // Same kind and value twice on one line is one detection (a shared set: no allocation per line).
      if (LINE_SEEN.size > 0) LINE_SEEN.clear();
      const seen = LINE_SEEN;
      for (const h of textHits) emit(out, seen, h.rule, h.value, line.n);
      for (const fragment of line.erased ?? [])
        for (const h of findHits(fragment)) emit(out, seen, h.rule, h.value, line.n);
      if (line.command && !line.text.includes(line.command))
        for (const h of findHits(line.command)) emit(out, seen, h.rule, h.value, line.n);
      if (textHits.length === 0 && open === 0) continue;
      for (let i = 0; i < contexts.length; i++) {
        const { rule, context } = contexts[i]!;
        const memo = memos[i];
        if (textHits.length === 0 && memo === undefined) continue;
        const next = context.step(line, textHits, memo);
        if (memo !== undefined) open--;
        if (next.memo === undefined) delete state[context.memo];
        else {
          state[context.memo] = next.memo;
          open++;
        }
        memos[i] = next.memo;
        if (next.value !== undefined) emit(out, seen, rule, next.value, line.n);
      }
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
function emit(out: DetectionList, seen: Set<string>, rule: SecretRule, value: string, line: number): void {
  if (seen.size >= MAX_LINE_VALUES) {
    countHit(out, { ruleId: rule.id, category: 'secret', kind: rule.kind, severity: rule.severity, line });
    return;
  }
  const key = `${rule.kind}\u0000${value}`;
  if (seen.has(key)) return;
  seen.add(key);
  out.push(detection(rule, value, line));
}
