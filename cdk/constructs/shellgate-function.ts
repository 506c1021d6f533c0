import path from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  LogLevel,
  NodejsFunction,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from '../paths.ts';

/** Service name and metric namespace the handlers' Powertools logger and metrics use. */
export const SERVICE = 'shellgate';

/** Retention of every function's log group. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * ESM bundles may contain CommonJS dependencies that call `require` for Node built-ins; ESM
 * has no `require`, so the bundle gets one.
 */
const REQUIRE_SHIM =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface ShellgateFunctionProps {
  /** The entry file, relative to the repository root, e.g. `functions/providers.ts`. */
  entry: string;
  /** @default 'handler' */
  handler?: string;
  description: string;
  /** The table's name goes into `SHELLGATE_TABLE`. */
  tableName: string;
  /** The table and index ARNs the DynamoDB actions apply to. */
  tableResources: readonly string[];
  /** The exact DynamoDB actions the function's code calls; none → no DynamoDB statement. */
  dynamoActions: readonly string[];
  timeout: Duration;
  /** @default 512 */
  memorySize?: number;
  environment?: Record<string, string>;
  /** Asynchronous invocations (schedules): how often Lambda retries a failed one. */
  retryAttempts?: number;
  /** Asynchronous invocations: how long an event may wait before it is dropped. */
  maxEventAge?: Duration;
  /** Asynchronous invocations: where a failed or dropped event goes. */
  onFailure?: IDestination;
  /**
   * Serve through a `live` alias on the current version, which gradual deployments shift.
   * @default false
   */
  alias?: boolean;
  /**
   * Another action of the role that has no resource-level permissions, and why the function
   * needs it (a stream consumer's `dynamodb:ListStreams`): said in the wildcard's acknowledgement.
   */
  alsoWildcard?: string;
}

/** The alias API Gateway invokes and CodeDeploy shifts between versions. */
export const LIVE_ALIAS = 'live';

/**
 * A Lambda function with the project's defaults: Node 24 on ARM64, bundled locally by esbuild
 * into one ESM file with source maps and the AWS SDK inside, active X-Ray tracing, an explicit
 * log group with retention, and its own role that may write to that log group, send its traces,
 * and call exactly the DynamoDB actions it is given, on the table and its indexes only.
 */
export class ShellgateFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** The `live` alias, when asked for. */
  readonly alias?: Alias;

  constructor(scope: Construct, id: string, props: ShellgateFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: its log group and its DynamoDB actions only`,
    });
    this.logGroup.grantWrite(this.role);
    if (props.dynamoActions.length > 0) {
      this.role.addToPolicy(
        new PolicyStatement({
          actions: [...props.dynamoActions],
          resources: [...props.tableResources],
        }),
      );
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // Traces of the invocation and its AWS calls, with no code in the bundle: Lambda records
      // the segments itself. Sampling is X-Ray's default (1 a second, then 5 %).
      tracing: Tracing.ACTIVE,
      ...(props.onFailure ? { onFailure: props.onFailure } : {}),
      ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
      ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
      environment: {
        SHELLGATE_TABLE: props.tableName,
        POWERTOOLS_SERVICE_NAME: SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: SERVICE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        // Error classes keep their names in logs and problem details.
        keepNames: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // File and line numbers are enough for stack traces; the sources would double the size.
        sourcesContent: false,
        // Production runs the SDK version the tests ran, not the one in the runtime.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
    // X-Ray's write actions have no resource-level permissions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: props.alsoWildcard
        ? `Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so their resource is "*"; ${props.alsoWildcard}`
        : 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so their resource is "*"; nothing else in this role is a wildcard.',
    });
    if (props.alias) {
      this.alias = new Alias(this, 'Live', {
        aliasName: LIVE_ALIAS,
        version: this.function.currentVersion,
      });
    }
  }
}
