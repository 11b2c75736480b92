import type { Finding } from '../model/finding';
import { REGION_NAME } from './shape';

/** A console deep link for a finding; `url` is built only from validated, URL-encoded parts. */
export interface ConsoleLink {
  label: string;
  url: string;
}

const EC2_INSTANCE = /^i-[0-9a-f]{8,17}$/;
const MANAGED_INSTANCE = /^mi-[0-9a-f]{17}$/;
// Session ids are `<IAM user or role-session name>-<suffix>`: IAM name characters only.
const SESSION_ID = /^[\w+=,.@-]{1,128}$/;
// CloudTrail event ids are UUIDs.
const EVENT_ID = /^[0-9a-fA-F-]{1,64}$/;

/** Console host of a region's partition (commercial, China, GovCloud). */
export function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/**
 * Links to the session in Session Manager history, the CloudTrail event and the target instance.
 * Values are not trusted: a part that does not look like what it claims to be is not linked.
 */
export function consoleLinks(finding: Finding): ConsoleLink[] {
  const region = finding.region;
  if (!region || !REGION_NAME.test(region)) return [];
  const origin = consoleOrigin(region);
  const q = `region=${region}`;
  const links: ConsoleLink[] = [];
  if (finding.sessionId && SESSION_ID.test(finding.sessionId)) {
    links.push({
      label: 'Session history',
      url: `${origin}/systems-manager/session-manager/${encodeURIComponent(finding.sessionId)}?${q}`,
    });
  }
  if (finding.eventId && EVENT_ID.test(finding.eventId)) {
    links.push({
      label: 'CloudTrail event',
      url: `${origin}/cloudtrailv2/home?${q}#/events/${encodeURIComponent(finding.eventId)}`,
    });
  }
  const target = finding.target;
  if (target && EC2_INSTANCE.test(target)) {
    links.push({
      label: 'EC2 instance',
      url: `${origin}/ec2/home?${q}#InstanceDetails:instanceId=${target}`,
    });
  } else if (target && MANAGED_INSTANCE.test(target)) {
    links.push({
      label: 'Managed node',
      url: `${origin}/systems-manager/fleet-manager/managed-nodes/${target}/general?${q}`,
    });
  }
  return links;
}
