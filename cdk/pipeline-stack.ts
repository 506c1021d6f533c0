import {
  type CfnElement,
  Stack,
  type StackProps,
  Stage,
  type StageProps,
  Validations,
} from 'aws-cdk-lib';
import { BuildEnvironmentVariableType, LinuxBuildImage } from 'aws-cdk-lib/aws-codebuild';
import {
  CodeBuildStep,
  CodePipeline,
  CodePipelineSource,
  ManualApprovalStep,
} from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import type { ShellgateSettings } from './settings.ts';
import { ShellgateStack } from './shellgate-stack.ts';
import { STAGE_NAMES, type StageName } from './stages.ts';

/** Where the pipeline takes the code from, and how it proves a deployed stage works. */
export interface PipelineSettings {
  /** `owner/repo` on GitHub (or any host CodeConnections serves). */
  repository: string;
  /** @default main */
  branch: string;
  /** The CodeConnections (CodeStar Connections) connection to the repository's host. */
  connectionArn: string;
  /**
   * Per stage, the Secrets Manager secret the smoke test takes a token with: a JSON object with
   * `tokenUrl`, `clientId` and `clientSecret` of an OAuth client of that stage's issuer that may
   * use the client-credentials grant. @default `shellgate/<stage>/smoke`
   */
  smokeSecrets: Record<StageName, string>;
}

export interface ShellgatePipelineStackProps extends StackProps {
  pipeline: PipelineSettings;
  /** The settings of each stage the pipeline deploys, in `STAGE_NAMES` order. */
  stages: Record<StageName, ShellgateSettings>;
  /** The context flags the pipeline's own synth passes to `cdk synth` to build this app again. */
  synthContext: Record<string, string>;
}

/** One stage of the pipeline: the shellgate stack, named and sized for the stage. */
export class ShellgateStage extends Stage {
  readonly stack: ShellgateStack;

  constructor(scope: Construct, id: string, props: StageProps & { settings: ShellgateSettings }) {
    super(scope, id, props);
    this.stack = new ShellgateStack(this, 'Shellgate', {
      stackName: props.settings.stackName,
      description: `shellgate (${props.settings.stage}): sandbox gateway control plane (DynamoDB, Lambda, HTTP API)`,
      settings: props.settings,
    });
  }
}

/** The shell-safe form of `-c key=value` flags. */
function contextFlags(context: Record<string, string>): string {
  return Object.entries(context)
    .map(([k, v]) => `-c '${k}=${v.replaceAll("'", "'\\''")}'`)
    .join(' ');
}

/**
 * The deploy pipeline: source → synth (the tests' offline `cdk synth`, cdk-nag included) →
 * deploy dev → smoke test dev → approval → deploy prod → smoke test prod. It updates itself
 * first when its own definition changed. A stage's deploy is CloudFormation's: the migrations
 * it triggers and the gradual rollout of the HTTP functions both happen inside it, and a
 * failed migration or a rollback fails the stage.
 */
export class ShellgatePipelineStack extends Stack {
  readonly pipeline: CodePipeline;
  readonly stages: Record<StageName, ShellgateStage>;

  constructor(scope: Construct, id: string, props: ShellgatePipelineStackProps) {
    super(scope, id, props);
    const { pipeline: settings } = props;
    const source = CodePipelineSource.connection(settings.repository, settings.branch, {
      connectionArn: settings.connectionArn,
    });
    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: 'shellgate',
      // The artifact bucket and the build logs are encrypted with a key of the pipeline's own,
      // which rotates.
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new CodeBuildStep('Synth', {
        input: source,
        commands: ['npm ci', `npx cdk synth --quiet ${contextFlags(props.synthContext)}`],
      }),
      codeBuildDefaults: { buildEnvironment: { buildImage: LinuxBuildImage.STANDARD_7_0 } },
    });

    const stages = {} as Record<StageName, ShellgateStage>;
    const smokeSteps: CodeBuildStep[] = [];
    for (const name of STAGE_NAMES) {
      const stage = new ShellgateStage(this, name.charAt(0).toUpperCase() + name.slice(1), {
        settings: props.stages[name],
      });
      stages[name] = stage;
      const smoke = smokeStep(name, stage, settings.smokeSecrets[name]);
      smokeSteps.push(smoke);
      this.pipeline.addStage(stage, {
        pre: name === 'prod' ? [new ManualApprovalStep('PromoteToProd')] : [],
        post: [smoke],
      });
    }
    this.stages = stages;

    // The pipeline's resources exist once it is built. What cdk-nag finds in them is CDK
    // Pipelines' own wiring; each finding is acknowledged by its exact id, on the pipeline only.
    this.pipeline.buildPipeline();
    const ref = (c: IConstruct) => `<${this.getLogicalId(c.node.defaultChild as CfnElement)}>`;
    const projects = [
      this.pipeline.synthProject,
      this.pipeline.selfMutationProject,
      ...smokeSteps.map((step) => step.project),
    ];
    const codeBuild = 'arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>';
    const logs = codeBuild.replace('{service}', 'logs');
    const reports = codeBuild.replace('{service}', 'codebuild');
    const wildcards: Array<[ids: string[], reason: string]> = [
      [
        ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
          (a) => `Action::${a}`,
        ),
        "The pipeline's actions read and write artifacts through the bucket grants CDK Pipelines makes (grantRead/grantReadWrite), on the artifact bucket only.",
      ],
      [
        ['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((a) => `Action::${a}`),
        "Each action encrypts and decrypts artifacts with the pipeline's own key, and that key only.",
      ],
      [
        [`Resource::${ref(this.pipeline.pipeline.artifactBucket).replace(/>$/, '.Arn>')}/*`],
        'The objects of the artifact bucket, which only this pipeline uses.',
      ],
      [
        projects.flatMap((p) => [
          `Resource::${logs}:log-group:/aws/codebuild/${ref(p)}:*`,
          `Resource::${reports}:report-group/${ref(p)}-*`,
        ]),
        "A CodeBuild project's own log streams and test-report groups, named after the project.",
      ],
      [
        [
          `Resource::${logs}:log-group:/aws/codebuild/*`,
          `Resource::${reports}:report-group/*`,
          'Resource::arn:*:iam::<AWS::AccountId>:role/*',
          'Resource::*',
        ],
        'The asset-publishing and self-mutation projects: their own CodeBuild logs and reports, assuming the CDK bootstrap roles of this account (role/* under the aws-cdk:bootstrap-role condition), and reading stacks and asset locations for cdk deploy.',
      ],
    ];
    Validations.of(this.pipeline).acknowledge(
      ...wildcards.flatMap(([ids, reason]) =>
        ids.map((id) => ({ id: `AwsSolutions::AwsSolutions-IAM5[${id}]`, reason })),
      ),
      {
        id: 'AwsSolutions::AwsSolutions-S1',
        reason:
          'The artifact bucket holds only build artifacts, encrypted with the pipeline key; CloudTrail records access to it, and access logs would need another bucket of their own.',
      },
    );
  }
}

/**
 * `npm run smoke` against a deployed stage: health, a create, a CAS conflict, a delete. The
 * token comes from the stage's issuer by the client-credentials grant, with the client's
 * secret read from Secrets Manager by CodeBuild.
 */
function smokeStep(name: StageName, stage: ShellgateStage, secret: string): CodeBuildStep {
  const fromSecret = (key: string) => ({
    type: BuildEnvironmentVariableType.SECRETS_MANAGER,
    value: `${secret}:${key}`,
  });
  return new CodeBuildStep(`Smoke-${name}`, {
    envFromCfnOutputs: { SHELLGATE_ENDPOINT: stage.stack.apiUrlOutput },
    buildEnvironment: {
      environmentVariables: {
        SHELLGATE_TOKEN_URL: fromSecret('tokenUrl'),
        SHELLGATE_CLIENT_ID: fromSecret('clientId'),
        SHELLGATE_CLIENT_SECRET: fromSecret('clientSecret'),
      },
    },
    commands: ['npm ci', 'npm run smoke -- --endpoint "$SHELLGATE_ENDPOINT"'],
  });
}
