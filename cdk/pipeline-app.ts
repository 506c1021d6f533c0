import type { App, AppProps } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { type PipelineSettings, ShellgatePipelineStack } from './pipeline-stack.ts';
import { settingsFromContext } from './settings.ts';
import { checkedApp } from './shellgate-app.ts';
import { STAGE_NAMES, type StageName } from './stages.ts';

type Context = Pick<Node, 'tryGetContext'>;

/** @default name of the pipeline's own stack */
export const PIPELINE_STACK_NAME = 'Shellgate-pipeline';

const CONNECTION_ARN =
  /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;

function text(node: Context, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** `-c pipeline=true`: the app is the deploy pipeline rather than one stack. */
export function wantsPipeline(node: Context): boolean {
  return text(node, 'pipeline') === 'true';
}

/** Reads and checks the pipeline's own settings; a missing or malformed value fails the synth. */
export function pipelineSettingsFromContext(node: Context): PipelineSettings {
  const repository = text(node, 'pipelineRepository');
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new Error('context pipelineRepository must be owner/repo (-c pipelineRepository=…)');
  }
  const connectionArn = text(node, 'pipelineConnectionArn');
  if (!connectionArn || !CONNECTION_ARN.test(connectionArn)) {
    throw new Error(
      'context pipelineConnectionArn must be the ARN of a CodeConnections connection (-c pipelineConnectionArn=arn:aws:codeconnections:…)',
    );
  }
  const stages: Record<string, Record<string, unknown> | undefined> =
    node.tryGetContext('stages') ?? {};
  const smokeSecrets = Object.fromEntries(
    STAGE_NAMES.map((stage) => [
      stage,
      String(stages[stage]?.smokeSecret ?? `shellgate/${stage}/smoke`),
    ]),
  ) as Record<StageName, string>;
  return {
    repository,
    branch: text(node, 'pipelineBranch') ?? 'main',
    connectionArn,
    smokeSecrets,
  };
}

/**
 * The pipeline stack, with one stage per entry of `STAGE_NAMES`, each with the settings its
 * stage reads from context (`stages.<stage>.<key>` before `<key>`, before `cdk/stages.ts`).
 */
export function addPipelineStack(app: App): ShellgatePipelineStack {
  const pipeline = pipelineSettingsFromContext(app.node);
  const stages = Object.fromEntries(
    STAGE_NAMES.map((stage) => [stage, settingsFromContext(app.node, stage)]),
  ) as Record<StageName, ReturnType<typeof settingsFromContext>>;
  const names = STAGE_NAMES.map((stage) => stages[stage].stackName);
  if (new Set(names).size !== names.length) {
    throw new Error(
      `the stages' stacks need names of their own, got ${names.join(', ')} (set stackName per stage in stages.<stage>, not for all)`,
    );
  }
  const stackName = text(app.node, 'pipelineStackName') ?? PIPELINE_STACK_NAME;
  return new ShellgatePipelineStack(app, stackName, {
    description: 'shellgate deploy pipeline: source → synth → dev → smoke → prod → smoke',
    pipeline,
    stages,
    synthContext: {
      pipeline: 'true',
      pipelineRepository: pipeline.repository,
      pipelineBranch: pipeline.branch,
      pipelineConnectionArn: pipeline.connectionArn,
      ...(stackName !== PIPELINE_STACK_NAME ? { pipelineStackName: stackName } : {}),
    },
  });
}

/** The CDK app of the deploy pipeline, as `cdk synth -c pipeline=true` builds it. */
export function createPipelineApp(props: AppProps = {}): {
  app: App;
  pipeline: ShellgatePipelineStack;
} {
  const app = checkedApp(props);
  return { app, pipeline: addPipelineStack(app) };
}
