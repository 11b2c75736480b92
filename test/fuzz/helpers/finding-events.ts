import * as fc from 'fast-check';
import { invokeEvent, type Json } from './inputs';
import { type JsonPath, leafPaths, stringPaths, withAt } from './json-paths';
import { caseId } from './lambda';
import { IDENTITY_FIELD } from './shown';

/**
 * Finding events as the findings bus delivers them to the notifier, responder and securityhub
 * functions (tools/invoke-events/finding.json), and the rules for judging a leak there: a valid
 * finding is carried into the alert, the bus event or the ASFF finding by contract (the debated
 * case), while a rejected event, the log lines and the state must echo nothing but identifiers.
 */

export const FINDING_EVENT = invokeEvent('finding');

/** The sample event made unique per case (finding id, event id, session id): no idempotency or aggregation merges two cases. */
export function uniqueEvent(n: number, base: Json = FINDING_EVENT): Json {
  const detail = base.detail as Json;
  return {
    ...base,
    id: `evt-${caseId(n, 12)}`,
    detail: { ...detail, id: caseId(n), sessionId: `alice-${caseId(n, 17)}` },
  };
}

export const findingEventPaths = (base: Json = FINDING_EVENT): JsonPath[] => stringPaths(base);
export const findingEventLeaves = (base: Json = FINDING_EVENT): JsonPath[] => leafPaths(base);

/**
 * `outputs` are the channels that carry the finding by contract (sns, bus, asff, slack); `idChannels`
 * those that may name it by its identifiers (finding id, rule, session). When the
 * handler rejected the event (threw or refused it), only the log and error channels exist and every
 * leak there is strict.
 */
export function findingShownAsIs(
  outputs: readonly string[],
  idChannels: readonly string[] = ['logs', 'dynamo'],
) {
  return (field: string, channel: string): boolean => {
    if (channel.endsWith('(rejected event)')) return false;
    if (outputs.includes(channel)) return field.startsWith('detail.') || IDENTITY_FIELD(field);
    return idChannels.includes(channel) && IDENTITY_FIELD(field);
  };
}

/** Random events around the finding shape: wrong envelopes, wrong types, arbitrary JSON. */
export const randomFindingEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc
    .tuple(fc.constantFrom(...leafPaths(FINDING_EVENT)), fc.jsonValue({ maxDepth: 2 }))
    .map(([path, value]) => withAt(FINDING_EVENT, path, () => value)),
  fc
    .dictionary(fc.constantFrom(...Object.keys(FINDING_EVENT.detail as Json)), fc.jsonValue({ maxDepth: 2 }))
    .map((d) => ({ ...FINDING_EVENT, detail: { ...(FINDING_EVENT.detail as Json), ...d } })),
);
