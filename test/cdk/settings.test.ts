import { Duration, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ScheduledJob } from '../../cdk/constructs/scheduled-job.ts';
import { settingsFromContext } from '../../cdk/settings.ts';
import { STAGE_NAMES, STAGES } from '../../cdk/stages.ts';

const context = (values: Record<string, unknown>) => ({
  tryGetContext: (key: string) => values[key],
});
const issuer = 'https://login.example.com/tenant/';

describe('settingsFromContext', () => {
  it('reads the JWT issuer and audiences, with defaults for the rest', () => {
    const settings = settingsFromContext(context({ jwtIssuer: issuer, jwtAudience: 'api' }));
    expect(settings).toEqual({
      stackName: 'Shellgate',
      jwtIssuer: issuer,
      jwtAudience: ['api'],
      retainData: true,
      httpMemorySize: 512,
      conflictAlarmPerMinute: 30,
      apiRateLimit: 100,
      apiBurstLimit: 200,
      rollout: 'AllAtOnce',
      migrationStallMinutes: 60,
    });
  });

  it.each(STAGE_NAMES)('-c stage=%s: the stage of cdk/stages.ts, named for it', (stage) => {
    const settings = settingsFromContext(context({ jwtIssuer: issuer, jwtAudience: 'api', stage }));
    expect(settings).toEqual({ ...STAGES[stage], stage, jwtIssuer: issuer, jwtAudience: ['api'] });
    expect(settings.stackName).toBe(`Shellgate-${stage}`);
  });

  it("takes a value from the stage's own context object first, then from the context, then from the stage", () => {
    // arrange
    const values = {
      jwtIssuer: issuer,
      jwtAudience: 'api',
      apiRateLimit: '7',
      stages: { prod: { jwtIssuer: 'https://login.example.com/prod/', apiRateLimit: 9 } },
    };
    // act
    const prod = settingsFromContext(context(values), 'prod');
    const dev = settingsFromContext(context(values), 'dev');
    // assert
    expect(prod).toMatchObject({
      jwtIssuer: 'https://login.example.com/prod/',
      apiRateLimit: 9,
      apiBurstLimit: STAGES.prod.apiBurstLimit,
    });
    expect(dev).toMatchObject({ jwtIssuer: issuer, apiRateLimit: 7 });
  });

  it('takes values as `-c key=value` strings or as cdk.json types', () => {
    const fromCli = settingsFromContext(
      context({
        jwtIssuer: issuer,
        jwtAudience: 'api, cli',
        retainData: 'false',
        conflictAlarmPerMinute: '5',
        alarmEmail: 'ops@example.com',
        serviceDomain: 'sbx.example.com',
      }),
    );
    const fromJson = settingsFromContext(
      context({ jwtIssuer: issuer, jwtAudience: ['api', 'cli'], retainData: false }),
    );
    expect(fromCli).toMatchObject({
      jwtAudience: ['api', 'cli'],
      retainData: false,
      conflictAlarmPerMinute: 5,
      alarmEmail: 'ops@example.com',
      serviceDomain: 'sbx.example.com',
    });
    expect(fromJson).toMatchObject({ jwtAudience: ['api', 'cli'], retainData: false });
  });

  it.each([
    [{ jwtAudience: 'api' }, /jwtIssuer/],
    [{ jwtIssuer: 'http://login.example.com/', jwtAudience: 'api' }, /https/],
    [{ jwtIssuer: 'not a url', jwtAudience: 'api' }, /jwtIssuer/],
    [{ jwtIssuer: issuer }, /jwtAudience/],
    [{ jwtIssuer: issuer, jwtAudience: ' , ' }, /jwtAudience/],
    [{ jwtIssuer: issuer, jwtAudience: 'api', retainData: 'no' }, /retainData/],
    [{ jwtIssuer: issuer, jwtAudience: 'api', apiRateLimit: '-1' }, /apiRateLimit/],
    [{ jwtIssuer: issuer, jwtAudience: 'api', stage: 'staging' }, /stage must be one of dev, prod/],
    [
      { jwtIssuer: issuer, jwtAudience: 'api', rollout: 'Canary50Percent' },
      /rollout must be one of/,
    ],
  ])('rejects %o', (values, message) => {
    expect(() => settingsFromContext(context(values))).toThrow(message);
  });
});

describe('ScheduledJob', () => {
  it('refuses a timeout that would let runs overlap', () => {
    const stack = new Stack();
    expect(
      () =>
        new ScheduledJob(stack, 'Job', {
          entry: 'functions/jobs.ts',
          handler: 'reconcile',
          description: 'overlapping',
          tableName: 'table',
          tableResources: ['arn:aws:dynamodb:us-east-1:123456789012:table/table'],
          dynamoActions: ['dynamodb:GetItem'],
          every: Duration.minutes(5),
          timeout: Duration.minutes(5),
          failures: new Queue(stack, 'Failures'),
        }),
    ).toThrow(/shorter than the interval/);
  });
});
