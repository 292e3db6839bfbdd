/**
 * The synthesized template for the CDK tests, and helpers to read it. Synth is slow, so each
 * configuration is synthesized once per test worker (vitest keeps modules from file to file, see
 * vitest.config.ts, so the cache below is shared by the files a worker runs: a test must not add
 * to a stack it gets from here), always without bundling: the handler tests run the bundles.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; the assertions pin its shape.
export type Cfn = any;
export type Resource = { Type: string; Properties: Cfn; Metadata?: Record<string, unknown> };
export type Resources = Record<string, Resource>;

/** Every default dataset, a new bucket, and a setting changed from its default wherever one can be. */
export const CONTEXT = {
  sender: 'Peer5 Reports <reports@example.com>',
  recipients: 'ops@example.com,cto@example.com',
  alarmEmail: 'alarms@example.com',
  timeZone: 'Europe/Berlin',
  hourlyExportMinute: '20',
  dailyExportTime: '02:45',
  reportTime: '07:30',
  retentionDays: '400',
  freshnessAlarmHours: '4',
};

export interface Synthesized {
  readonly app: ReturnType<typeof createApp>['app'];
  readonly stack: ReturnType<typeof createApp>['stack'];
  readonly template: Template;
  readonly resources: Resources;
}

const synthesizedByContext = new Map<string, Synthesized>();

/** The stack of `context`, synthesized on first use in this test file. */
export function synthesized(context: Record<string, unknown> = CONTEXT): Synthesized {
  const key = JSON.stringify(context);
  const cached = synthesizedByContext.get(key);
  if (cached) return cached;
  const { app, stack } = createApp({ context, bundle: false });
  const template = Template.fromStack(stack);
  const built = { app, stack, template, resources: template.toJSON().Resources as Resources };
  synthesizedByContext.set(key, built);
  return built;
}

/** The stack of `CONTEXT`, with the settings it was built from and the lake bucket's logical id. */
export function defaultStack() {
  const built = synthesized();
  return {
    ...built,
    settings: built.stack.settings,
    lakeBucketId: logicalId(built.resources, 'AWS::S3::Bucket', 'LakeBucket'),
  };
}

export function byType(resources: Resources, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The properties of every resource of `type`, each with its logical id as `id`. */
export function propertiesOfType(resources: Resources, type: string): Cfn[] {
  return byType(resources, type).map(([id, resource]): Cfn => ({ id, ...resource.Properties }));
}

export function logicalId(resources: Resources, type: string, prefix: string): string {
  const found = byType(resources, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  return (found[0] as [string, Resource])[0];
}

/** A CloudFormation string expression as text: Refs and GetAtts become `<id>` / `<id.Attr>`. */
export function flatten(value: unknown, refs: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  const node = value as Cfn;
  if ('Ref' in node) return refs[node.Ref] ?? `<${node.Ref}>`;
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return refs[`${id}.${attribute}`] ?? `<${id}.${attribute}>`;
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => flatten(part, refs)).join(separator);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function statementsOfRole(resources: Resources, rolePrefix: string): Statement[] {
  const roleId = logicalId(resources, 'AWS::IAM::Role', rolePrefix);
  return byType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Each statement as `{sid, actions, resources}` with resources flattened to text. */
export function summarize(statements: Statement[]) {
  return statements.map((statement) => ({
    sid: statement.Sid,
    actions: asList(statement.Action),
    resources: asList(statement.Resource).map((resource) => flatten(resource)),
    condition: statement.Condition,
  }));
}

/** The warnings any construct of the stack added on synth, as the CLI prints them. */
export function warningsOf(context: Record<string, unknown>): string[] {
  return synthesized(context)
    .stack.node.findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:warning')
    .map((entry) => String(entry.data));
}
