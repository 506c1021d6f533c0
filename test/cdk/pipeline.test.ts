import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { createPipelineApp } from '../../cdk/pipeline-app.ts';
import { STAGES } from '../../cdk/stages.ts';
import { CDK_JSON_CONTEXT, type Resource, TEST_CONTEXT } from './app.ts';

const PIPELINE_CONTEXT = {
  pipeline: 'true',
  pipelineRepository: 'example/shellgate',
  pipelineConnectionArn:
    'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  stages: {
    prod: { jwtIssuer: 'https://login.example.com/prod/', smokeSecret: 'ops/prod-smoke' },
  },
};

function pipelineApp(context: Record<string, unknown> = {}, outdir?: string) {
  return createPipelineApp({
    ...(outdir ? { outdir } : {}),
    builtinCloudFormationValidation: false,
    context: {
      ...CDK_JSON_CONTEXT,
      ...TEST_CONTEXT,
      ...PIPELINE_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      ...context,
    },
  });
}

const outdir = mkdtempSync(path.join(tmpdir(), 'shellgate-pipeline-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const { app, pipeline } = pipelineApp({}, outdir);
// act: the synth `cdk synth -c pipeline=true` runs, cdk-nag over every stack included.
const assembly = app.synth();
const template = Template.fromStack(pipeline).toJSON();
const resources = template.Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const id = (c: IConstruct) => pipeline.getLogicalId(c.node.defaultChild as CfnElement);

interface Action {
  Name: string;
  ActionTypeId: { Provider: string };
  RunOrder: number;
  Configuration: Record<string, unknown>;
}
const [, codePipeline] = ofType('AWS::CodePipeline::Pipeline')[0]!;
const stages = codePipeline.Properties.Stages as Array<{ Name: string; Actions: Action[] }>;
const actions = (stage: string) => stages.find((s) => s.Name === stage)?.Actions ?? [];
const projectOf = (action: Action) =>
  resources[(action.Configuration.ProjectName as { Ref: string }).Ref]!.Properties;

describe('the deploy pipeline', () => {
  it('goes source → synth → update itself → assets → dev → prod', () => {
    expect(stages.map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'Dev',
      'Prod',
    ]);
    expect(actions('Source')[0]).toMatchObject({
      ActionTypeId: { Provider: 'CodeStarSourceConnection' },
      Configuration: {
        FullRepositoryId: 'example/shellgate',
        BranchName: 'main',
        ConnectionArn: PIPELINE_CONTEXT.pipelineConnectionArn,
      },
    });
  });

  it("synthesizes the app again with the pipeline's own context, offline", () => {
    const synth = projectOf(actions('Build')[0]!);
    const spec = JSON.parse((synth.Source as { BuildSpec: string }).BuildSpec);
    expect(spec.phases.build.commands).toEqual([
      'npm ci',
      `npx cdk synth --quiet -c 'pipeline=true' -c 'pipelineRepository=example/shellgate' -c 'pipelineBranch=main' -c 'pipelineConnectionArn=${PIPELINE_CONTEXT.pipelineConnectionArn}'`,
    ]);
  });

  it('deploys dev, smoke-tests it, then waits for approval before deploying and smoke-testing prod', () => {
    const order = (stage: string) =>
      actions(stage)
        .sort((a, b) => a.RunOrder - b.RunOrder)
        .map((a) => `${a.ActionTypeId.Provider}:${a.Name}`);
    expect(order('Dev')).toEqual([
      'CloudFormation:Shellgate-dev.Prepare',
      'CloudFormation:Shellgate-dev.Deploy',
      'CodeBuild:Smoke-dev',
    ]);
    expect(order('Prod')).toEqual([
      'Manual:PromoteToProd',
      'CloudFormation:Shellgate-prod.Prepare',
      'CloudFormation:Shellgate-prod.Deploy',
      'CodeBuild:Smoke-prod',
    ]);
  });

  it.each([
    ['Dev', 'Smoke-dev', 'shellgate/dev/smoke'],
    ['Prod', 'Smoke-prod', 'ops/prod-smoke'],
  ])(
    '%s: the smoke test runs npm run smoke on the deployed ApiUrl with a client-credentials token',
    (stage, name, secret) => {
      // arrange
      const action = actions(stage).find((a) => a.Name === name)!;
      const project = projectOf(action);
      const env = (project.Environment as { EnvironmentVariables: Array<Record<string, string>> })
        .EnvironmentVariables;
      const spec = JSON.parse((project.Source as { BuildSpec: string }).BuildSpec);
      // assert
      expect(spec.phases.build.commands).toEqual([
        'npm ci',
        'npm run smoke -- --endpoint "$SHELLGATE_ENDPOINT"',
      ]);
      for (const key of ['tokenUrl', 'clientId', 'clientSecret']) {
        expect(env).toContainEqual(
          expect.objectContaining({ Type: 'SECRETS_MANAGER', Value: `${secret}:${key}` }),
        );
      }
      // The endpoint is the stage stack's ApiUrl output, handed over by the deploy action.
      expect(JSON.parse(action.Configuration.EnvironmentVariables as string)).toContainEqual({
        name: 'SHELLGATE_ENDPOINT',
        type: 'PLAINTEXT',
        value: expect.stringMatching(/^#\{.*\.ApiUrl[0-9A-F]*\}$/),
      });
    },
  );

  it('encrypts its artifacts with a key of its own that rotates', () => {
    const [keyId, key] = ofType('AWS::KMS::Key')[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const bucket = resources[id(pipeline.pipeline.pipeline.artifactBucket)]!;
    expect(JSON.stringify(bucket.Properties.BucketEncryption)).toContain(keyId);
  });
});

describe("the pipeline's stages", () => {
  const stackOf = (stage: 'dev' | 'prod') => pipeline.stages[stage].stack;
  const templateOf = (stage: 'dev' | 'prod') =>
    assembly
      .getNestedAssembly(`assembly-${pipeline.stackName}-${stage === 'dev' ? 'Dev' : 'Prod'}`)
      .getStackByName(STAGES[stage].stackName).template as { Resources: Record<string, Resource> };

  it('deploy one shellgate stack each, named and sized by cdk/stages.ts', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const stack = stackOf(stage);
      const t = templateOf(stage);
      expect(stack.stackName).toBe(STAGES[stage].stackName);
      const fn =
        t.Resources[
          stack.getLogicalId(stack.httpFunctions.providers.function.node.defaultChild as CfnElement)
        ]!;
      expect(fn.Properties.MemorySize).toBe(STAGES[stage].httpMemorySize);
      const group =
        t.Resources[
          stack.getLogicalId(stack.rollout.groups.providers!.node.defaultChild as CfnElement)
        ]!;
      expect(group.Properties.DeploymentConfigName).toBe(
        `CodeDeployDefault.Lambda${STAGES[stage].rollout}`,
      );
    }
  });

  it("take a stage's own context first: prod's issuer, dev's the shared one", () => {
    expect(stackOf('prod').settings.jwtIssuer).toBe('https://login.example.com/prod/');
    expect(stackOf('dev').settings.jwtIssuer).toBe(TEST_CONTEXT.jwtIssuer);
  });

  it('are checked by cdk-nag like the single stack: the synth above found nothing unacknowledged', () => {
    // A finding would have failed app.synth() before any test ran; the report lists every stack.
    expect(assembly.stacksRecursively.map((s) => s.stackName).sort()).toEqual(
      [pipeline.stackName, STAGES.dev.stackName, STAGES.prod.stackName].sort(),
    );
  });
});

describe('pipeline settings', () => {
  it.each([
    [{ pipelineRepository: undefined }, /pipelineRepository must be owner\/repo/],
    [{ pipelineRepository: 'no-slash' }, /pipelineRepository must be owner\/repo/],
    [{ pipelineConnectionArn: 'arn:aws:s3:::bucket' }, /pipelineConnectionArn must be the ARN/],
    [{ stackName: 'Same' }, /stacks need names of their own/],
  ])('refuses %o', (context, message) => {
    expect(() => pipelineApp(context)).toThrow(message);
  });
});
