import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2TagSource } from '#shared/aws/ec2';

const ec2 = mockClient(EC2Client);
const client = new EC2Client({ region: 'us-east-1' });
let clock = 0;
const source = () => new Ec2TagSource({ client, ttlMs: 1000, now: () => clock });

function reservation(id: string, tags: Array<{ Key: string; Value: string }>) {
  return { Reservations: [{ Instances: [{ InstanceId: id, Tags: tags }] }] };
}

beforeEach(() => {
  ec2.reset();
  clock = 0;
});

describe('Ec2TagSource', () => {
  it('returns the instance tags and caches them per container', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(reservation('i-0123456789abcdef0', [{ Key: 'Environment', Value: 'prod' }]));
    const tags = source();
    const [a, b] = await Promise.all([tags.tags('i-0123456789abcdef0'), tags.tags('i-0123456789abcdef0')]);
    expect(a).toEqual({ Environment: 'prod' });
    expect(b).toEqual({ Environment: 'prod' });
    expect(await tags.tags('i-0123456789abcdef0')).toEqual({ Environment: 'prod' });
    expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: ['i-0123456789abcdef0'] },
    ]);
    clock = 1500;
    await tags.tags('i-0123456789abcdef0');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
  });

  it('returns {} for an instance without tags', async () => {
    ec2.on(DescribeInstancesCommand).resolves(reservation('i-0abc1234', []));
    expect(await source().tags('i-0abc1234')).toEqual({});
  });

  it('never looks up managed instances or other targets', async () => {
    const tags = source();
    expect(await tags.tags('mi-0123456789abcdef0')).toBeUndefined();
    expect(await tags.tags('ecs:cluster_task_container')).toBeUndefined();
    expect(await tags.tags('')).toBeUndefined();
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it('degrades a failure to "tags unknown" and tries again next time', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .rejectsOnce(new Error('RequestLimitExceeded'))
      .resolves(reservation('i-0123456789abcdef0', [{ Key: 'Team', Value: 'a' }]));
    const tags = source();
    expect(await tags.tags('i-0123456789abcdef0')).toBeUndefined();
    expect(await tags.tags('i-0123456789abcdef0')).toEqual({ Team: 'a' });
  });

  it('remembers a vanished instance as unknown for the TTL', async () => {
    const notFound = Object.assign(new Error('The instance ID does not exist'), {
      name: 'InvalidInstanceID.NotFound',
    });
    ec2.on(DescribeInstancesCommand).rejects(notFound);
    const tags = source();
    expect(await tags.tags('i-0123456789abcdef0')).toBeUndefined();
    expect(await tags.tags('i-0123456789abcdef0')).toBeUndefined();
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });
});
