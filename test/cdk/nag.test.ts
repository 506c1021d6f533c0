import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '#lib/http/routes.ts';
import { fastApp } from './app.ts';

const outdirs: string[] = [];
function outdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shellgate-cdk-'));
  outdirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every acknowledgement in the tree: construct path → rule id → reason. */
function acknowledgements(root: IConstruct): Record<string, Record<string, string>> {
  const found: Record<string, Record<string, string>> = {};
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      found[construct.node.path] = { ...found[construct.node.path], ...entry.data };
    }
  }
  return found;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in the app', () => {
    const { app } = fastApp({}, { outdir: outdir() });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding, so the checks really run', () => {
    // arrange
    const dir = outdir();
    const { app, stack } = fastApp({}, { outdir: dir });
    new Topic(stack, 'PlainTopic');
    // act
    const synth = () => app.synth();
    // assert
    expect(synth).toThrow(/AwsSolutions-SNS3/);
    const report = readFileSync(path.join(dir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-SNS3');
    expect(report).toContain(`${stack.stackName}/PlainTopic/Resource`);
  });

  it('acknowledges only what has a reason, each on the construct it is about', () => {
    // arrange
    const { app, stack } = fastApp();
    const publicRoutes = routes
      .filter((r) => r.scope === null)
      .flatMap((r) => [r.operationId, ...(r.method === 'GET' ? [`${r.operationId}Head`] : [])]);
    const functions = [
      ...Object.values(stack.httpFunctions),
      stack.jobs.migrate.job,
      stack.jobs.reconcile.job,
      stack.streamConsumer.consumer,
    ];
    const at = (c: IConstruct) => c.node.path;
    // act
    const acks = acknowledgements(app);
    // assert
    const expected: Record<string, string> = {
      // `$default` (Unmatched) is behind the JWT authorizer: it needs no acknowledgement.
      ...Object.fromEntries(
        // acknowledged without a namespace, which records it as an annotation id
        publicRoutes.map((id) => [
          `${stack.stackName}/Api/${id}`,
          'Annotation::AwsSolutions-APIG4',
        ]),
      ),
      // X-Ray's write actions take no resource: the one wildcard of each function's role.
      ...Object.fromEntries(
        functions.map((f) => [at(f.role), 'AwsSolutions::AwsSolutions-IAM5[Resource::*]']),
      ),
      // The failures queue is itself the dead-letter queue.
      [at(stack.jobFailures)]: 'AwsSolutions::AwsSolutions-SQS3',
      [at(stack.streamConsumer.failures)]: 'AwsSolutions::AwsSolutions-SQS3',
      [at(stack.rollout.role)]:
        'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    };
    expect(
      Object.fromEntries(Object.entries(acks).map(([p, rules]) => [p, Object.keys(rules)])),
    ).toEqual(Object.fromEntries(Object.entries(expected).map(([p, id]) => [p, [id]])));
    for (const rules of Object.values(acks)) {
      expect(Object.values(rules)[0]!.length).toBeGreaterThan(40);
    }
  });

  it('the rollout role carries the AWS managed policy it acknowledges, and nothing else of AWS', () => {
    const { stack } = fastApp();
    const role =
      Template.fromStack(stack).toJSON().Resources[
        stack.getLogicalId(stack.rollout.role.node.defaultChild as CfnElement)
      ];
    expect(role.Properties.ManagedPolicyArns).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
          ],
        ],
      },
    ]);
  });
});
