import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { captureOutput, isEmf } from '#test/support/output.ts';

// The handlers' logger and metrics read these when they load: import them only afterwards.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
// As Lambda sets it for an instance that was not pre-initialized: the cold start is counted.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';

const { drain } = captureOutput();

describe('a request that conflicts', () => {
  it('logs one summary line and one EMF record: Requests once by route and once in aggregate, and nothing else', async () => {
    // arrange
    const { createTestApi } = await import('#test/support/api.ts');
    const { call } = await createTestApi();
    const secret = 'sk-observability-secret-value';
    await call('POST', '/v1/providers', {
      body: { name: 'obs', type: 't', credentials: { K: secret } },
    });
    const setup = drain();
    await call('PATCH', '/v1/providers/obs', { body: { config: { a: '1' } } });
    drain();

    // act
    const stale = await call('PATCH', '/v1/providers/obs', {
      body: { credentials: { K: `${secret}-2` }, expectedResourceVersion: 1 },
    });

    // assert
    expect(stale.status).toBe(409);
    const { records, stderr } = drain();
    expect(stderr).toBe('');
    expect(records).toHaveLength(2);
    const [log, emf] = [records.find((r) => !isEmf(r))!, records.find(isEmf)!];
    expect(log).toMatchObject({
      message: 'request',
      route: 'updateProvider',
      status: 409,
      outcome: 'ABORTED',
      correlation_id: stale.headers['x-request-id'],
    });
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'shellgate',
        Dimensions: [['service', 'route'], ['service']],
        Metrics: [
          { Name: 'Conflicts', Unit: 'Count' },
          { Name: 'Requests', Unit: 'Count' },
        ],
      },
    ]);
    expect(emf).toMatchObject({
      service: 'shellgate',
      route: 'updateProvider',
      Conflicts: 1,
      Requests: 1,
    });
    // The cold start was counted once, by the first invocation, in a record of its own.
    const coldStarts = setup.records.filter((r) => r.ColdStart !== undefined);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['service', 'function_name'],
    ]);
    expect(setup.stderr).toBe('');
    expect([...setup.records, ...records].map((r) => JSON.stringify(r)).join('')).not.toContain(
      secret,
    );
  });
});

describe('correlation', () => {
  it('every log line of a request carries the API request id and the function request id', async () => {
    // arrange: a table that does not exist makes the request fail, which logs twice.
    const { createHttpHandler } = await import('#lib/http/handler.ts');
    const { providers } = await import('#lib/http/routes/providers.ts');
    const { matchRoute, toApiGatewayEvent } = await import('#local/event.ts');
    const { createDocumentClient, Store } = await import('#lib/store/index.ts');
    const { dynamoEndpoint } = await import('#test/support/store.ts');
    const store = new Store(
      createDocumentClient({ endpoint: dynamoEndpoint() }),
      `missing-${randomUUID()}`,
    );
    const handler = createHttpHandler(providers, { store });
    const request = {
      method: 'GET',
      path: '/v1/providers/x',
      rawQueryString: '',
      headers: {},
      body: '',
    };
    const event = toApiGatewayEvent(request, matchRoute('GET', request.path), {
      sub: 'u',
      scope: 'shellgate:all',
    });
    const context = lambdaContext('shellgate-providers');
    drain();

    // act
    const res = await handler(event, context);
    const next = await handler(
      toApiGatewayEvent(request, matchRoute('GET', request.path), {
        sub: 'u',
        scope: 'shellgate:all',
      }),
      lambdaContext('shellgate-providers'),
    );

    // assert
    expect(res.statusCode).toBe(500);
    const { records } = drain();
    const logs = records.filter((r) => !isEmf(r));
    const first = logs.filter((r) => r.correlation_id === event.requestContext.requestId);
    expect(first.map((r) => r.message).sort()).toEqual(['request', 'request failed']);
    for (const line of first) {
      expect(line).toMatchObject({
        function_request_id: context.awsRequestId,
        function_name: 'shellgate-providers',
        service: 'shellgate',
      });
    }
    expect(res.headers['x-request-id']).toBe(event.requestContext.requestId);
    // Keys of one invocation do not leak into the next.
    const second = logs.filter((r) => r.correlation_id === next.headers['x-request-id']);
    expect(second).toHaveLength(2);
    expect(logs).toHaveLength(4);
  });
});
