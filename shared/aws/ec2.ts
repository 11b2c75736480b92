import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { TargetTagSource } from '../state/types';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export interface Ec2TagSourceOptions {
  client: EC2Client;
  /** How long a lookup (found or not) is reused in a warm container (default 5 minutes). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Target tags from EC2 DescribeInstances, cached per warm container. Only EC2 instance ids are looked
 * up: managed instances (`mi-…`) and other targets have no EC2 tags. A failed lookup means "tags
 * unknown" (undefined) and is not cached, so the next event tries again; it never throws.
 */
export class Ec2TagSource implements TargetTagSource {
  private readonly cache = new Map<
    string,
    { at: number; tags: Promise<Record<string, string> | undefined> }
  >();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: Ec2TagSourceOptions) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async tags(target: string): Promise<Record<string, string> | undefined> {
    if (!INSTANCE_ID.test(target)) return undefined;
    const hit = this.cache.get(target);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.tags;
    // Cache the promise so concurrent lookups of one target share a single call.
    const tags = this.lookup(target);
    this.cache.set(target, { at: this.now(), tags });
    return tags;
  }

  private async lookup(instanceId: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.options.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find(
        (i) => i.InstanceId === instanceId,
      );
      if (!instance) return undefined;
      const tags: Record<string, string> = {};
      for (const t of instance.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      return tags;
    } catch (err) {
      // A vanished instance stays "unknown" for the TTL; any other failure is retried next time.
      if (!(err instanceof Error && err.name === 'InvalidInstanceID.NotFound')) this.cache.delete(instanceId);
      return undefined;
    }
  }
}
