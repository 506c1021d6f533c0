import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppProps, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../../cdk/paths.ts';
import { createShellgateApp } from '../../cdk/shellgate-app.ts';

/** The context of `cdk.json` (feature flags and defaults), as `cdk synth` passes it. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;

/** A deployment's own values, different from the placeholders so the tests see them wired. */
export const TEST_CONTEXT = {
  jwtIssuer: 'https://auth.test.example/realms/shellgate/',
  jwtAudience: 'shellgate-api,shellgate-cli',
  conflictAlarmPerMinute: 12,
  apiRateLimit: 50,
  apiBurstLimit: 80,
};

/**
 * The app as `cdk synth` builds it, minus the slow parts that other tests cover: no bundling
 * (a placeholder asset) and no built-in CloudFormation validation. cdk-nag still runs.
 */
export function fastApp(context: Record<string, unknown> = {}, props: AppProps = {}) {
  return createShellgateApp({
    ...props,
    builtinCloudFormationValidation: false,
    context: {
      ...CDK_JSON_CONTEXT,
      ...TEST_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      ...context,
    },
  });
}

export function synthFast(context: Record<string, unknown> = {}) {
  const { app, stack } = fastApp(context);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

export type Resource = { Type: string; Properties: Record<string, unknown> } & Record<
  string,
  unknown
>;
