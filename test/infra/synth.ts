import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStacks, type TargetEnv } from '#infra/build';
import { loadConfig } from '#infra/config';
import type { SsmSentinelStack } from '#infra/stack';

export interface Synthesized {
  app: App;
  stacks: SsmSentinelStack[];
  templates: Map<string, Template>;
  outdir: string;
}

/**
 * Synthesize the app once for a configuration, with cdk-nag's AwsSolutions checks (a violation
 * throws from app.synth()). Bundling is skipped unless asked for: it is slow on small machines and
 * one dedicated test covers it.
 */
export interface SynthOptions {
  bundle?: boolean;
  env?: TargetEnv;
  /** Change the home stack before synthesis (tests that prove a check can fail). */
  mutate?: (stack: SsmSentinelStack) => void;
}

const outdirs: string[] = [];

/** Remove every cloud assembly written by synth() in this test file (call from afterAll). */
export function removeSynthOutputs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function synth(config: unknown, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'sentinel-synth-'));
  outdirs.push(outdir);
  const context: Record<string, unknown> = options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] };
  const app = new App({ outdir, context });
  const stacks = buildStacks(app, loadConfig({ config }), options.env);
  if (options.mutate) options.mutate(stacks[0]!);
  app.synth();
  const templates = new Map(stacks.map((s) => [s.stackName, Template.fromStack(s)]));
  return { app, stacks, templates, outdir };
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

export function resources(t: Template, type: string): Record<string, Resource> {
  return t.findResources(type) as Record<string, Resource>;
}

/** The logical id of the one resource of `type` named `name` (by any of its name properties). */
export function logicalId(tpl: Template, type: string, name: string): string {
  const found = Object.entries(resources(tpl, type)).filter(([, r]) => {
    const p = r.Properties ?? {};
    return [p.FunctionName, p.TableName, p.Name, p.TopicName, p.EventBusName, p.QueueName].includes(name);
  });
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0]![0];
}

export function props(t: Template, type: string): Array<Record<string, unknown>> {
  return Object.values(resources(t, type)).map((r) => r.Properties ?? {});
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/** Function name → every statement of the policies attached to its role. */
export function statementsByFunction(t: Template): Map<string, Statement[]> {
  const roleToFunction = new Map<string, string>();
  for (const fn of props(t, 'AWS::Lambda::Function')) {
    const role = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    roleToFunction.set(role, fn.FunctionName as string);
  }
  const out = new Map<string, Statement[]>();
  for (const policy of props(t, 'AWS::IAM::Policy')) {
    const roles = (policy.Roles as Array<{ Ref: string }>).map((r) => r.Ref);
    const statements = (policy.PolicyDocument as { Statement: Statement[] }).Statement;
    for (const role of roles) {
      const name = roleToFunction.get(role);
      if (name === undefined) continue;
      out.set(name, [...(out.get(name) ?? []), ...statements]);
    }
  }
  return out;
}

export function sortedActions(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap(actionsOf))].sort();
}
