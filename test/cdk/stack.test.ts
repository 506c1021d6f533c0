import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { allowedScopes, SUPER_SCOPE } from '#lib/contract/contract.ts';
import type { FunctionName } from '#lib/contract/index.ts';
import { routes } from '#lib/http/routes.ts';
import { tableDefinition } from '#lib/store/table.ts';
import { httpFunctionActions, IDEMPOTENCY_DYNAMO_ACTIONS } from '../../cdk/permissions.ts';
import { logicalId, type Resource, synthFast, TEST_CONTEXT } from './app.ts';

const { stack, template } = synthFast();
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as Array<[string, Resource]>;

const tableId = logicalId(stack, stack.table.table);
const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
const indexArn = { 'Fn::Join': ['', [tableArn, '/index/byKind']] };

/** Every function of the stack, by the name the tests use. */
const functions = {
  ...stack.httpFunctions,
  migrate: stack.jobs.migrate.job,
  reconcile: stack.jobs.reconcile.job,
  watch: stack.streamConsumer.consumer,
};

/** The statements of the policies attached to a role. */
function statementsOf(roleId: string): Array<Record<string, unknown>> {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => isRef(r, roleId)))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: [] }).Statement);
}

function isRef(value: unknown, id: string): boolean {
  return (value as { Ref?: string })?.Ref === id;
}

const asList = (v: unknown) => (Array.isArray(v) ? v : [v]);

describe('table', () => {
  const table = resources[tableId]!;

  it('has the keys and the index of the shared table definition', () => {
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byKind',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual(
      ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    );
  });

  it('is on demand, encrypted, point-in-time recoverable, with the TTL attribute', () => {
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('is retained and deletion-protected by default', () => {
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('is deleted with the stack only when retainData=false', () => {
    // act
    const throwaway = synthFast({ retainData: 'false' }).template;
    // assert
    throwaway.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });
});

/** The function CDK's triggers run on (aws-cdk-lib's own provider, not shellgate code). */
const triggerProviderId = ofType('Custom::Trigger').map(
  ([, r]) => (r.Properties.ServiceToken as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
)[0];

describe('functions', () => {
  it("are one per route-table group plus the two jobs, the stream consumer, and the deploy trigger's provider", () => {
    expect(Object.keys(stack.httpFunctions).sort()).toEqual(
      [...new Set(routes.map((r) => r.fn))].sort(),
    );
    expect(
      ofType('AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      [
        ...Object.values(functions).map((f) => logicalId(stack, f.function)),
        triggerProviderId,
      ].sort(),
    );
  });

  it.each(Object.entries(functions))(
    '%s: Node 24 on ARM64, active tracing, its own log group with retention, the Powertools settings',
    (name, f) => {
      const fn = resources[logicalId(stack, f.function)]!;
      const handler = name === 'migrate' || name === 'reconcile' ? name : 'handler';
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: `index.${handler}`,
        TracingConfig: { Mode: 'Active' },
        Role: { 'Fn::GetAtt': [logicalId(stack, f.role), 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logicalId(stack, f.logGroup) } },
        Environment: {
          Variables: {
            SHELLGATE_TABLE: { Ref: tableId },
            POWERTOOLS_SERVICE_NAME: 'shellgate',
            POWERTOOLS_METRICS_NAMESPACE: 'shellgate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
      expect(resources[logicalId(stack, f.logGroup)]!.Properties.RetentionInDays).toBe(30);
    },
  );

  it('HTTP functions answer before the API Gateway deadline of 30 s', () => {
    for (const f of Object.values(stack.httpFunctions)) {
      const timeout = resources[logicalId(stack, f.function)]!.Properties.Timeout as number;
      expect(timeout).toBeLessThan(30);
    }
  });

  it.each(Object.entries(stack.httpFunctions))(
    '%s: served through its live alias on the current version, sized by the stage',
    (_name, f) => {
      const alias = resources[logicalId(stack, f.alias!)]!;
      const version = ofType('AWS::Lambda::Version').find(([, v]) =>
        isRef(v.Properties.FunctionName, logicalId(stack, f.function)),
      )!;
      expect(alias.Properties).toEqual({
        Name: 'live',
        FunctionName: { Ref: logicalId(stack, f.function) },
        FunctionVersion: { 'Fn::GetAtt': [version[0], 'Version'] },
      });
      expect(resources[logicalId(stack, f.function)]!.Properties.MemorySize).toBe(512);
    },
  );
});

describe('roles', () => {
  /**
   * The grants, written out: a change to a route's `dynamo` list or to a job changes a role,
   * and should be seen in review.
   */
  const expected: Record<keyof typeof functions, string[]> = {
    providers: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    sandboxes: ['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    config: [
      'BatchGetItem',
      'ConditionCheckItem',
      'DeleteItem',
      'GetItem',
      'PutItem',
      'Query',
      'UpdateItem',
    ],
    drafts: [
      'BatchGetItem',
      'ConditionCheckItem',
      'DeleteItem',
      'GetItem',
      'PutItem',
      'Query',
      'UpdateItem',
    ],
    sessions: ['ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    inference: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    meta: [],
    migrate: [
      'ConditionCheckItem',
      'DescribeTable',
      'GetItem',
      'PutItem',
      'Query',
      'Scan',
      'UpdateItem',
    ],
    reconcile: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    watch: ['GetItem', 'PutItem', 'UpdateItem'],
  };

  it.each(Object.entries(functions))(
    '%s: exactly its DynamoDB actions, on the table and its index only',
    (name, f) => {
      // arrange
      const statements = statementsOf(logicalId(stack, f.role));
      const dynamo = statements.filter((s) =>
        asList(s.Action).some((a) => String(a).startsWith('dynamodb:')),
      );
      // assert
      const want = expected[name as keyof typeof functions];
      if (want.length === 0) {
        expect(dynamo).toEqual([]);
        return;
      }
      if (name === 'watch') {
        // The feed's actions on the table alone; the stream reads the event source mapping
        // needs, on the stream; ListStreams, which takes no resource, beside X-Ray's.
        expect(dynamo).toEqual(
          expect.arrayContaining([
            { Effect: 'Allow', Action: want.map((a) => `dynamodb:${a}`), Resource: tableArn },
            {
              Effect: 'Allow',
              Action: [
                'dynamodb:DescribeStream',
                'dynamodb:GetRecords',
                'dynamodb:GetShardIterator',
              ],
              Resource: { 'Fn::GetAtt': [logicalId(stack, stack.table.table), 'StreamArn'] },
            },
            {
              Effect: 'Allow',
              Action: ['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
              Resource: '*',
            },
          ]),
        );
        expect(dynamo).toHaveLength(3);
        return;
      }
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0]!.Effect).toBe('Allow');
      expect([...asList(dynamo[0]!.Action)].sort()).toEqual(want.map((a) => `dynamodb:${a}`));
      expect(dynamo[0]!.Resource).toEqual([tableArn, indexArn]);
    },
  );

  it.each(Object.entries(functions))(
    '%s: besides DynamoDB only its own log group, its traces and (jobs) the failures queue',
    (name, f) => {
      const statements = statementsOf(logicalId(stack, f.role));
      const others = statements.filter(
        (s) => !asList(s.Action).some((a) => String(a).startsWith('dynamodb:')),
      );
      const isJob = name === 'migrate' || name === 'reconcile';
      const expected = [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(stack, f.logGroup), 'Arn'] },
        },
        // X-Ray's write actions take no resource: the one wildcard, acknowledged (nag.test.ts).
        // (The stream consumer's share a statement with ListStreams: checked above.)
        ...(name === 'watch'
          ? [
              {
                Effect: 'Allow',
                Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
                Resource: {
                  'Fn::GetAtt': [logicalId(stack, stack.streamConsumer.failures), 'Arn'],
                },
              },
            ]
          : [
              {
                Effect: 'Allow',
                Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
                Resource: '*',
              },
            ]),
        ...(isJob
          ? [
              // What Lambda's SQS failure destination needs (aws-lambda-destinations).
              {
                Effect: 'Allow',
                Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
                Resource: { 'Fn::GetAtt': [logicalId(stack, stack.jobFailures), 'Arn'] },
              },
            ]
          : []),
      ];
      expect(others).toHaveLength(expected.length);
      expect(others).toEqual(expect.arrayContaining(expected));
      const role = resources[logicalId(stack, f.role)]!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    },
  );

  it('every function has a role of its own', () => {
    const roles = Object.values(functions).map((f) => logicalId(stack, f.role));
    expect(new Set(roles).size).toBe(roles.length);
  });

  it("an HTTP function's actions are its routes' actions, plus the idempotency records' when it writes", () => {
    for (const fn of Object.keys(stack.httpFunctions) as FunctionName[]) {
      const own = routes.filter((r) => r.fn === fn);
      const union = new Set(own.flatMap((r) => r.dynamo));
      if (own.some((r) => r.method !== 'GET')) {
        for (const action of IDEMPOTENCY_DYNAMO_ACTIONS) union.add(action);
      }
      expect(httpFunctionActions(fn)).toEqual([...union].sort());
    }
  });

  it('a group of read-only routes gets no write action', () => {
    const reads = routes.filter((r) => r.method === 'GET' && r.fn === 'sandboxes');
    expect(httpFunctionActions('sandboxes', reads)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });
});

describe('HTTP API', () => {
  const apiId = logicalId(stack, stack.api.httpApi);
  const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
  const routeResources = ofType('AWS::ApiGatewayV2::Route');
  const integrations = Object.fromEntries(ofType('AWS::ApiGatewayV2::Integration'));

  it('has one JWT authorizer with the issuer and audiences from the context', () => {
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]![1].Properties).toMatchObject({
      ApiId: { Ref: apiId },
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: TEST_CONTEXT.jwtIssuer,
        Audience: ['shellgate-api', 'shellgate-cli'],
      },
    });
  });

  /** Every route-table entry, and the HEAD twin of each GET route. */
  const routeKeys = routes.flatMap((r) => [
    [`${r.method} ${r.path}`, r] as const,
    ...(r.method === 'GET' ? [[`HEAD ${r.path}`, r] as const] : []),
  ]);

  it('has exactly one route per route-table entry, a HEAD per GET, and $default for the rest', () => {
    const keys = routeResources.map(([, r]) => r.Properties.RouteKey).sort();
    expect(keys).toEqual([...routeKeys.map(([key]) => key), '$default'].sort());
  });

  it.each(routeKeys)('%s: its authorizer, its scopes and its function', (key, r) => {
    // arrange
    const [, route] = routeResources.find(([, res]) => res.Properties.RouteKey === key)!;
    const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integration = integrations[target['Fn::Join'][1][1].Ref]!;
    const aliasId = logicalId(stack, stack.httpFunctions[r.fn].alias!);
    // assert: the live alias, which a deployment moves, not the function's latest code
    expect(route.Properties.ApiId).toEqual({ Ref: apiId });
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { Ref: aliasId },
    });
    if (r.scope === null) {
      expect(route.Properties.AuthorizationType).toBe('NONE');
      expect(route.Properties.AuthorizationScopes).toBeUndefined();
    } else {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizers[0]![0] },
        AuthorizationScopes: [...allowedScopes(r), SUPER_SCOPE],
      });
    }
  });

  it('leaves only /healthz, /v1/openapi.json and /docs public', () => {
    const open = routeResources
      .filter(([, r]) => r.Properties.AuthorizationType !== 'JWT')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(open).toEqual(
      ['/docs', '/healthz', '/v1/openapi.json'].flatMap((p) => [`GET ${p}`, `HEAD ${p}`]).sort(),
    );
  });

  it('puts unmatched requests behind the JWT authorizer, without scopes, as the dev server does', () => {
    const [, fallback] = routeResources.find(([, r]) => r.Properties.RouteKey === '$default')!;
    expect(fallback.Properties).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizers[0]![0] },
    });
    // Any valid token reaches the function's problem+json 404; none invokes nothing.
    expect(fallback.Properties.AuthorizationScopes).toBeUndefined();
  });

  it('sends unmatched requests to the meta function, as the dev server does', () => {
    const [, fallback] = routeResources.find(([, r]) => r.Properties.RouteKey === '$default')!;
    const target = fallback.Properties.Target as {
      'Fn::Join': [string, [string, { Ref: string }]];
    };
    expect(integrations[target['Fn::Join'][1][1].Ref]!.Properties.IntegrationUri).toEqual({
      Ref: logicalId(stack, stack.httpFunctions.meta.alias!),
    });
  });

  it('serves a $default stage with throttling and JSON access logs', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const props = stages[0]![1].Properties;
    expect(props).toMatchObject({
      ApiId: { Ref: apiId },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack, stack.api.accessLogs), 'Arn'] },
      },
    });
    const format = JSON.parse((props.AccessLogSettings as { Format: string }).Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  it('outputs the API URL', () => {
    const outputs = template.findOutputs('ApiUrl');
    expect(Object.keys(outputs)).toHaveLength(1);
    expect(JSON.stringify(outputs)).toContain(apiId);
  });
});

describe('schedules', () => {
  const schedules = ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
  const cases = [
    ['migrate', 'rate(15 minutes)', 600],
    ['reconcile', 'rate(5 minutes)', 120],
  ] as const;

  it('are the backfill runner and the reconciler, nothing else', () => {
    expect(schedules).toHaveLength(2);
  });

  it.each(cases)(
    '%s runs on %s with a timeout of %i s that ends before the next run',
    (name, rate, timeout) => {
      // arrange
      const job = stack.jobs[name];
      const fnId = logicalId(stack, job.job.function);
      const schedule = schedules.find(
        (s) =>
          JSON.stringify((s.Target as { Arn: unknown }).Arn) ===
          JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
      );
      const minutes = Number(/rate\((\d+) minutes\)/.exec(rate)![1]);
      // assert
      const queueArn = { 'Fn::GetAtt': [logicalId(stack, stack.jobFailures), 'Arn'] };
      expect(schedule).toMatchObject({
        ScheduleExpression: rate,
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          // What the scheduler could not deliver goes to the failures queue.
          DeadLetterConfig: { Arn: queueArn },
        },
      });
      // The scheduler's execution id is the run's correlation id (lib/jobs/telemetry.ts).
      expect(JSON.parse((schedule!.Target as { Input: string }).Input)).toMatchObject({
        executionId: '<aws.scheduler.execution-id>',
      });
      expect(resources[fnId]!.Properties.Timeout).toBe(timeout);
      expect(timeout).toBeLessThan(minutes * 60);
      // A run that fails, or is dropped before it starts, goes to the failures queue.
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
    },
  );

  it.each(cases)(
    '%s: the scheduler role may invoke that function and dead-letter to the failures queue only',
    (name) => {
      const job = stack.jobs[name];
      const fnId = logicalId(stack, job.job.function);
      const schedule = schedules.find((s) =>
        JSON.stringify((s.Target as { Arn: unknown }).Arn).includes(fnId),
      )!;
      const roleId = (schedule.Target as { RoleArn: { 'Fn::GetAtt': [string] } }).RoleArn[
        'Fn::GetAtt'
      ][0];
      expect(statementsOf(roleId)).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [fnId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [logicalId(stack, stack.jobFailures), 'Arn'] },
        },
      ]);
      expect(resources[roleId]!.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
    },
  );

  it.each(cases)('%s passes its job settings through the environment', (name) => {
    const env = (
      resources[logicalId(stack, stack.jobs[name].job.function)]!.Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    if (name === 'migrate') {
      expect(env).toMatchObject({
        SHELLGATE_MIGRATION_SEGMENTS: '16',
        SHELLGATE_MIGRATION_RATE: '500',
      });
    } else {
      expect(env).toMatchObject({ SHELLGATE_PROVISION_TIMEOUT_SECONDS: '600' });
    }
  });
});

describe('alarms', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicRef = { Ref: logicalId(stack, stack.node.findChild('AlarmTopic')) };

  it('notify the alarm topic when they fire and when they recover', () => {
    // 5xx rate, function throttles, store throttles, conflicts; each job's errors, the stalled
    // migration, the failures queue; the stream consumer's errors, lag and failures queue.
    expect(alarms).toHaveLength(11);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('watch the conflicts per minute the handlers emit, against the threshold from the context', () => {
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'shellgate',
        MetricName: 'Conflicts',
        Dimensions: [{ Name: 'service', Value: 'shellgate' }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: TEST_CONTEXT.conflictAlarmPerMinute,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
      }),
    );
  });

  it('watch the 5xx rate of the API', () => {
    const rate = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('"5xx"'))!;
    const metrics = rate.Metrics as Array<Record<string, unknown>>;
    const apiDimension = [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } }];
    expect(metrics).toContainEqual(
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: apiDimension },
        }),
      }),
    );
    expect(metrics).toContainEqual(
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: apiDimension },
        }),
      }),
    );
    expect(rate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('watch throttling of every function and of the table', () => {
    const lambda = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('"Throttles"'))!;
    const throttled = (
      lambda.Metrics as Array<{
        MetricStat?: { Metric: { Dimensions: [{ Value: { Ref: string } }] } };
      }>
    )
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.Dimensions[0].Value.Ref] : []))
      .sort();
    expect(throttled).toEqual(
      Object.values(functions)
        .map((f) => logicalId(stack, f.function))
        .sort(),
    );
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'shellgate',
        MetricName: 'Throttled',
        Dimensions: [{ Name: 'service', Value: 'shellgate' }],
      }),
    );
  });
});

describe('the watch feed consumer', () => {
  const consumer = logicalId(stack, stack.streamConsumer.consumer.function);
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it("reads the table's stream one batch per shard at a time, retries and splits a failed batch, and sends one given up to its queue", () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    expect(mappings).toEqual([
      {
        FunctionName: { Ref: consumer },
        EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        DestinationConfig: {
          OnFailure: {
            Destination: {
              'Fn::GetAtt': [logicalId(stack, stack.streamConsumer.failures), 'Arn'],
            },
          },
        },
      },
    ]);
    expect(resources[tableId]!.Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });

  it('alarms on its errors, on a change older than a minute in the stream, and on its failures queue', () => {
    const ofConsumer = alarms.filter((a) => JSON.stringify(a.Dimensions ?? []).includes(consumer));
    expect(ofConsumer.map((a) => [a.MetricName, a.Threshold]).sort()).toEqual([
      ['Errors', 1],
      ['IteratorAge', 60_000],
    ]);
    expect(alarms).toContainEqual(
      expect.objectContaining({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(stack, stack.streamConsumer.failures), 'QueueName'] },
          },
        ],
      }),
    );
  });
});

describe('the jobs fail loudly', () => {
  const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm'));
  const alarmOf = (construct: Parameters<typeof logicalId>[1]) =>
    alarms[logicalId(stack, construct)]!.Properties;
  const queueId = logicalId(stack, stack.jobFailures);

  it.each([
    ['migrate', 900],
    ['reconcile', 300],
  ] as const)('%s: an alarm on any error, over one run interval (%i s)', (name, period) => {
    expect(alarmOf(stack.jobAlarms.errors[name])).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalId(stack, stack.jobs[name].job.function) } },
      ],
      Statistic: 'Sum',
      Period: period,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('an alarm when every migrate run of the configured window found a migration stalled', () => {
    expect(alarmOf(stack.jobAlarms.migrationStalled)).toMatchObject({
      Namespace: 'shellgate',
      MetricName: 'MigrationStalled',
      Dimensions: [{ Name: 'service', Value: 'shellgate' }],
      Statistic: 'Minimum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // migrationStallMinutes 60 (the unstaged default) / the 15-minute schedule
      EvaluationPeriods: 4,
    });
  });

  it('takes the stall window from the context, in whole runs of at most a day', () => {
    // act
    const { stack: twoRuns, template: t } = synthFast({ migrationStallMinutes: '30' });
    // assert
    const stalled = t.toJSON().Resources[logicalId(twoRuns, twoRuns.jobAlarms.migrationStalled)];
    expect(stalled.Properties.EvaluationPeriods).toBe(2);
    expect(() => synthFast({ migrationStallMinutes: '20' })).toThrow(
      /multiple of the migrate interval/,
    );
    expect(() => synthFast({ migrationStallMinutes: '1500' })).toThrow(/at most a day/);
  });

  it('an encrypted, SSL-only failures queue that keeps events 14 days, with an alarm on anything in it', () => {
    expect(resources[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    expect(alarmOf(stack.jobAlarms.failedRuns)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('a deploy runs the pending migrations', () => {
  const [triggerId, trigger] = ofType('Custom::Trigger')[0]!;
  const migrateId = logicalId(stack, stack.jobs.migrate.job.function);

  it('once, synchronously, on the version the deploy made, waiting out one migrate run', () => {
    const version = ofType('AWS::Lambda::Version').find(([, v]) =>
      isRef(v.Properties.FunctionName, migrateId),
    )!;
    expect(ofType('Custom::Trigger')).toHaveLength(1);
    expect(trigger.Properties).toMatchObject({
      HandlerArn: { Ref: version[0] },
      InvocationType: 'RequestResponse',
      // the job's 10-minute timeout and a minute for the invocation
      Timeout: String(11 * 60 * 1000),
      ExecuteOnHandlerChange: true,
    });
  });

  it('before any HTTP function takes new code: every live alias waits for it', () => {
    for (const f of Object.values(stack.httpFunctions)) {
      expect(resources[logicalId(stack, f.alias!)]!.DependsOn).toContain(triggerId);
    }
  });
});

describe('gradual rollout of the HTTP functions', () => {
  const groups = ofType('AWS::CodeDeploy::DeploymentGroup');
  const alarmRefs = [stack.alarms.serverErrorRate, stack.alarms.conflicts].map((a) => ({
    Name: { Ref: logicalId(stack, a) },
  }));

  it.each(Object.entries(stack.httpFunctions))(
    '%s: its alias moves through a deployment group that rolls back on the 5xx and conflict alarms',
    (name, f) => {
      // arrange
      const groupId = logicalId(stack, stack.rollout.groups[name]!);
      const alias = resources[logicalId(stack, f.alias!)]!;
      // assert
      expect(alias.UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: logicalId(stack, stack.rollout.application) },
          DeploymentGroupName: { Ref: groupId },
        },
      });
      expect(resources[groupId]!.Properties).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
        AlarmConfiguration: { Enabled: true, Alarms: alarmRefs },
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']),
        },
        ServiceRoleArn: { 'Fn::GetAtt': [logicalId(stack, stack.rollout.role), 'Arn'] },
      });
    },
  );

  it('one group per HTTP function, one CodeDeploy role for all', () => {
    expect(groups).toHaveLength(Object.keys(stack.httpFunctions).length);
    expect(resources[logicalId(stack, stack.rollout.role)]!.Properties).toMatchObject({
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Principal: { Service: 'codedeploy.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });
});

describe('stages', () => {
  const fnProps = (s: typeof stack, t: typeof template) =>
    t.toJSON().Resources[logicalId(s, s.httpFunctions.providers.function)].Properties;
  const groupOf = (s: typeof stack, t: typeof template) =>
    t.toJSON().Resources[logicalId(s, s.rollout.groups.providers!)].Properties;

  it('-c stage=prod: a stack named and sized for prod, with a canary rollout and kept data', () => {
    // act
    const { stack: prod, template: t } = synthFast({ stage: 'prod' });
    // assert
    expect(prod.stackName).toBe('Shellgate-prod');
    expect(fnProps(prod, t).MemorySize).toBe(1024);
    expect(groupOf(prod, t).DeploymentConfigName).toBe(
      'CodeDeployDefault.LambdaCanary10Percent10Minutes',
    );
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('-c stage=dev: its own stack, throwaway data, new code at once', () => {
    // act
    const { stack: dev, template: t } = synthFast({ stage: 'dev' });
    // assert
    expect(dev.stackName).toBe('Shellgate-dev');
    expect(fnProps(dev, t).MemorySize).toBe(512);
    expect(groupOf(dev, t).DeploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it("a context value still overrides the stage's", () => {
    const { stack: prod, template: t } = synthFast({
      stage: 'prod',
      httpMemorySize: '2048',
      rollout: 'Linear10PercentEvery1Minute',
    });
    expect(fnProps(prod, t).MemorySize).toBe(2048);
    expect(groupOf(prod, t).DeploymentConfigName).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
  });
});
