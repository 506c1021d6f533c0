import { LambdaDeploymentConfig } from 'aws-cdk-lib/aws-codedeploy';

/** The stages a deployment pipeline takes shellgate through. */
export const STAGE_NAMES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/**
 * How CodeDeploy moves an HTTP function's `live` alias to a new version. Each rolls back on the
 * alarms it watches (`cdk/constructs/shellgate-rollout.ts`).
 */
export const ROLLOUTS = {
  AllAtOnce: LambdaDeploymentConfig.ALL_AT_ONCE,
  Canary10Percent5Minutes: LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  Canary10Percent10Minutes: LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  Canary10Percent15Minutes: LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  Canary10Percent30Minutes: LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  Linear10PercentEvery1Minute: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  Linear10PercentEvery2Minutes: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  Linear10PercentEvery3Minutes: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  Linear10PercentEvery10Minutes: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
} as const;
export type Rollout = keyof typeof ROLLOUTS;

/** What a stage decides: its stack's name and how the stack is sized and rolled out. */
export interface StageSettings {
  /** The CloudFormation stack. */
  stackName: string;
  /** Keep the table when the stack is deleted, and refuse to delete it through the API. */
  retainData: boolean;
  /** Memory (MB) of each HTTP function; Lambda gives CPU in proportion. */
  httpMemorySize: number;
  /** Steady-state requests per second of the `$default` stage. */
  apiRateLimit: number;
  /** Burst of requests the stage accepts above the rate. */
  apiBurstLimit: number;
  /** Sustained conflicts (409 ABORTED) per minute that raise the conflict alarm. */
  conflictAlarmPerMinute: number;
  /** How a new version of the HTTP functions takes the traffic. */
  rollout: Rollout;
  /**
   * Minutes in which every migrate run found a migration pending and moved nothing, after which
   * the stall alarm fires. A multiple of the migrate schedule (15 minutes), at most a day.
   */
  migrationStallMinutes: number;
}

/**
 * A deployment without a stage: the stack `Shellgate` as it always was, new code at once (the
 * alarms still stop a deployment that trips them).
 */
export const UNSTAGED: StageSettings = {
  stackName: 'Shellgate',
  retainData: true,
  httpMemorySize: 512,
  apiRateLimit: 100,
  apiBurstLimit: 200,
  conflictAlarmPerMinute: 30,
  rollout: 'AllAtOnce',
  migrationStallMinutes: 60,
};

/**
 * The stages, in the order a pipeline deploys them. `cdk deploy -c stage=prod` deploys the
 * stack named and sized here; any setting may still be given with `-c`.
 */
export const STAGES: Record<StageName, StageSettings> = {
  /** Throwaway data, a small rate, new code at once: what a deploy of a branch needs. */
  dev: {
    stackName: 'Shellgate-dev',
    retainData: false,
    httpMemorySize: 512,
    apiRateLimit: 20,
    apiBurstLimit: 40,
    conflictAlarmPerMinute: 30,
    rollout: 'AllAtOnce',
    migrationStallMinutes: 60,
  },
  /**
   * Kept data, more CPU per request, and a canary that holds 10 % of the traffic for as long
   * as the 5xx alarm needs to judge it (two 5-minute periods) before the rest moves.
   */
  prod: {
    stackName: 'Shellgate-prod',
    retainData: true,
    httpMemorySize: 1024,
    apiRateLimit: 100,
    apiBurstLimit: 200,
    conflictAlarmPerMinute: 30,
    rollout: 'Canary10Percent10Minutes',
    migrationStallMinutes: 120,
  },
};

export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}
