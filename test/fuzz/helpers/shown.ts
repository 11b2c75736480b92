import { fieldMatcher } from './leaks';

/**
 * Input fields whose value a finding carries as is by contract (docs/CONTRACT.md Finding: account, region,
 * sessionId, target, principal, sourceIp, documentName): a planted value there reaching a finding, an
 * alert or the session record is the debated case (e.g. an e-mail-shaped role session name in a
 * principal ARN), reported separately, never asserted either way. Everything else is strict.
 */
export const IDENTITY_FIELD = fieldMatcher([
  // CloudTrail record, bare or as the `detail` of an EventBridge event.
  /^(detail\.)?userIdentity\.(arn|principalId|userName|accountId|type|invokedBy)$/,
  /^(detail\.)?userIdentity\.sessionContext\.(sessionIssuer\.(arn|principalId|userName|accountId|type)|sourceIdentity)$/,
  /^(detail\.)?userIdentity\.onBehalfOf\./,
  /^(detail\.)?(recipientAccountId|awsRegion|sourceIPAddress)$/,
  /^(detail\.)?responseElements\.sessionId$/,
  /^(detail\.)?requestParameters\.(target|sessionId|documentName)$/,
  /^(detail\.)?resources\[\d+\]\.(ARN|accountId)$/,
  // EventBridge envelope.
  /^(account|region|resources\[\d+\])$/,
  // Streaming session-log event (also inside a subscription's log event message) and its delivery.
  /(^|>)(sessionId|target\.id|userIdentity\.arn|awsRegion)$/,
  /^(logStream|owner)$/,
  /^file name$/,
  // A finding on the bus (notifier, responder, slack, securityhub events): its identifiers.
  /^detail\.(id|ruleId|sessionId|target|account|region|sourceIp|documentName|sessionKind|eventId|principal\.(arn|type|name))$/,
]);

/**
 * Members that name the actor: an e-mail there is an IAM Identity Center user's identity, shown as is
 * by contract (README "What is never shown raw"; shared/format/redact.ts identityField). Every other
 * plant in these members, and every plant in the other IDENTITY_FIELD members, is redacted.
 */
export const ACTOR_FIELD = fieldMatcher([
  /^(detail\.)?userIdentity\.(arn|principalId|userName|invokedBy)$/,
  /^(detail\.)?userIdentity\.onBehalfOf\./,
  /^(detail\.)?(responseElements|requestParameters)\.sessionId$/,
  /(^|>)(sessionId|userIdentity\.arn)$/,
  /^logStream$/,
]);

/**
 * What `replay` may print as is: an e-mail naming the actor (see ACTOR_FIELD), and the path the user
 * gave, which names a raw log without a session id in its name (the user's own input, not the log's).
 */
export const replayShownAsIs = (field: string, channel: string, plant: string) =>
  channel === 'stdout' && (field === 'file name' || (plant === 'email' && ACTOR_FIELD(field)));
