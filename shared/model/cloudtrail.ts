import * as z from 'zod';

/**
 * CloudTrail records as they really are (the real records in test/fixtures/cloudtrail): almost every
 * member optional, unknown members kept (`looseObject`), `mfaAuthenticated` a string, failed calls
 * with `responseElements: null`. Only the members the classifier reads are typed; the rest pass through.
 */

const str = z.string();
const optStr = str.optional();
/**
 * CloudTrail writes several flags as the strings "true"/"false"; some exporters turn them into
 * booleans. Any other string is kept and read as "unknown" by the normaliser, not refused.
 */
const StringFlag = z.union([z.string(), z.boolean()]).optional();

/**
 * A JSON object kept as is: request and response members are free-form per API and the normaliser
 * reads them defensively, so they are checked for shape only, never copied (hot path).
 */
const PlainObject = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { message: 'Invalid input: expected object' },
);
export const SessionIssuerSchema = z.looseObject({
  type: optStr,
  principalId: optStr,
  arn: optStr,
  accountId: optStr,
  userName: optStr,
});

export const SessionContextSchema = z.looseObject({
  sessionIssuer: SessionIssuerSchema.optional(),
  webIdFederationData: PlainObject.optional(),
  attributes: z
    .looseObject({
      creationDate: optStr,
      mfaAuthenticated: StringFlag,
    })
    .optional(),
  sourceIdentity: optStr,
  /** Present when the credentials were delivered to an EC2 instance (instance profile). */
  ec2RoleDelivery: optStr,
});

export const IDENTITY_TYPES = [
  'IAMUser',
  'AssumedRole',
  'Root',
  'IdentityCenterUser',
  'FederatedUser',
  'AWSService',
  'AWSAccount',
  'SAMLUser',
  'WebIdentityUser',
  'Directory',
  'Unknown',
] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** Members any variant may carry; each variant below fixes `type` and documents what it adds. */
const identityBase = {
  principalId: optStr,
  arn: optStr,
  accountId: optStr,
  accessKeyId: optStr,
  userName: optStr,
  invokedBy: optStr,
  credentialId: optStr,
  sessionContext: SessionContextSchema.optional(),
};

/** Long-term user: principalId `AIDA…`, `accessKeyId` `AKIA…` for a long-term key, `ASIA…` for a session. */
export const IamUserIdentitySchema = z.looseObject({ ...identityBase, type: z.literal('IAMUser') });
/**
 * Role session: `arn` `arn:aws:sts::<acct>:assumed-role/<role>/<session>`, `sessionContext.sessionIssuer`
 * the role. IAM Identity Center (SSO) sessions are AssumedRole whose issuer path is
 * `aws-reserved/sso.amazonaws.com/[region/]AWSReservedSSO_<set>_<hex>`.
 */
export const AssumedRoleIdentitySchema = z.looseObject({ ...identityBase, type: z.literal('AssumedRole') });
/** The account root user: `arn` `arn:aws:iam::<acct>:root`. */
export const RootIdentitySchema = z.looseObject({ ...identityBase, type: z.literal('Root') });
/** IAM Identity Center user calling an Identity Center-aware API: no ARN, `onBehalfOf` instead. */
export const IdentityCenterUserIdentitySchema = z.looseObject({
  ...identityBase,
  type: z.literal('IdentityCenterUser'),
  onBehalfOf: z.looseObject({ userId: optStr, identityStoreArn: optStr }).optional(),
});
/** GetFederationToken session: `arn` `arn:aws:sts::<acct>:federated-user/<name>`. */
export const FederatedUserIdentitySchema = z.looseObject({
  ...identityBase,
  type: z.literal('FederatedUser'),
});
/** A service acting on its own behalf: `invokedBy` e.g. `ssm.amazonaws.com`. */
export const AwsServiceIdentitySchema = z.looseObject({ ...identityBase, type: z.literal('AWSService') });
/** Any other or future type (AWSAccount, SAMLUser, WebIdentityUser, Directory, Unknown…), or none at all. */
export const OtherIdentitySchema = z.looseObject({ ...identityBase, type: optStr });

const KnownIdentitySchema = z.discriminatedUnion('type', [
  IamUserIdentitySchema,
  AssumedRoleIdentitySchema,
  RootIdentitySchema,
  IdentityCenterUserIdentitySchema,
  FederatedUserIdentitySchema,
  AwsServiceIdentitySchema,
]);
/** Known types are checked against their own variant (O(1) dispatch); any other type falls through. */
export const UserIdentitySchema = z.union([KnownIdentitySchema, OtherIdentitySchema]);
export type UserIdentity = z.infer<typeof UserIdentitySchema>;

export const ResourceSchema = z.looseObject({ ARN: optStr, accountId: optStr, type: optStr });

const Members = PlainObject.nullable().optional();

export const CloudTrailRecordSchema = z.looseObject({
  eventVersion: optStr,
  userIdentity: UserIdentitySchema.optional(),
  eventTime: str,
  eventSource: optStr,
  eventName: str,
  awsRegion: optStr,
  sourceIPAddress: optStr,
  userAgent: optStr,
  errorCode: optStr,
  errorMessage: optStr,
  requestParameters: Members,
  responseElements: Members,
  additionalEventData: Members,
  requestID: optStr,
  eventID: optStr,
  readOnly: z.boolean().optional(),
  resources: z.array(ResourceSchema).optional(),
  eventType: optStr,
  managementEvent: z.boolean().optional(),
  recipientAccountId: optStr,
  sharedEventID: optStr,
  vpcEndpointId: optStr,
  eventCategory: optStr,
  sessionCredentialFromConsole: StringFlag,
  tlsDetails: PlainObject.optional(),
});

/** A parsed record (`parseRecord` normalises `eventTime` to ISO-8601 UTC). */
export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;

/** EventBridge delivery of a CloudTrail record (`detail-type` "AWS API Call via CloudTrail"). */
export const EventBridgeEnvelopeSchema = z.looseObject({
  version: optStr,
  id: optStr,
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: optStr,
  account: optStr,
  time: optStr,
  region: optStr,
  resources: z.array(z.unknown()).optional(),
  detail: z.looseObject({}),
});
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelopeSchema>;

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
