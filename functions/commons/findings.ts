import { identityField } from '#shared/format/redact';
import { maskCommand } from '#shared/mask';
import type { Finding } from '#shared/model/finding';

/**
 * Findings read back from the bus or the alerts topic are re-masked before they are rendered or
 * forwarded (SNS, Slack, Security Hub, the responder's own finding). Findings the core writes are
 * masked already and come out unchanged; a finding someone else put on the bus with a raw key, card or
 * e-mail in a field does not carry it any further.
 */

/** maskCommand cuts its result at 160 characters: longer text is checked in overlapping windows. */
const WINDOW = 120;
const STEP = 60;

/**
 * `text` with secrets and personal data masked. Text the mask leaves alone is returned whole, however
 * long (a rule's reason can be 300 characters); text with something to mask is masked and cut.
 * Windows of 120 characters every 60 contain every value up to 60 characters whole; longer ones (JWTs,
 * key blocks) are long base64 runs the mask stars in any window. Linear: each character is in two windows.
 */
export function maskText(text: string): string {
  if (text.length <= WINDOW) return maskCommand(text);
  for (let at = 0; at < text.length; at += STEP) {
    const window = text.slice(at, at + WINDOW);
    if (maskCommand(window) !== window) return maskCommand(text);
    if (at + WINDOW >= text.length) break;
  }
  return text;
}

/** Every string of a JSON value masked (findings are shallow: a few levels, bounded by the schema). */
function maskStrings(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskText(value);
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskStrings(v, depth + 1);
  return out;
}

/**
 * Who acted is shown as the core shows it (shared/format/redact.ts identityField: an Identity Center
 * user's e-mail stays, anything else sensitive is redacted); re-masking it as free text would star
 * SSO role names and break the match with the session's other findings.
 */
function identity(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (identityField(value, 512) ?? '');
}

/** The finding with every text field re-masked; a finding from the core is returned equal. */
export function remaskFinding(finding: Finding): Finding {
  const out = maskStrings(finding, 0) as Finding;
  if (finding.principal) {
    out.principal = {
      ...out.principal!,
      arn: identity(finding.principal.arn) ?? '',
      name: identity(finding.principal.name),
    };
    if (out.principal.name === undefined) delete out.principal.name;
  }
  if (finding.sessionId !== undefined) out.sessionId = identity(finding.sessionId);
  return out;
}
