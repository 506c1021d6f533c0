import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    'in-memory': { type: 'boolean', default: false },
    /** An existing DynamoDB (another DynamoDB Local, a shared one) instead of starting one. */
    'dynamodb-endpoint': { type: 'string' },
    /** @default shellgate */
    table: { type: 'string' },
    /** Where the dev token's key and local.json live. @default .shellgate */
    'state-dir': { type: 'string' },
    /** One JSON log line per request, as in Lambda. */
    verbose: { type: 'boolean', default: false },
  },
});

// The handlers' logger and metrics read these when they load.
process.env.POWERTOOLS_LOG_LEVEL ??= values.verbose ? 'INFO' : 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { startLocalSystem } = await import('#local/system.ts');

const system = await startLocalSystem({
  port: Number(values.port),
  inMemory: values['in-memory'],
  ...(values['dynamodb-endpoint'] ? { dynamoEndpoint: values['dynamodb-endpoint'] } : {}),
  ...(values.table ? { table: values.table } : {}),
  ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
});

console.log(`
shellgate is running
  API        ${system.url}   (OpenAPI: ${system.url}/v1/openapi.json)
  DynamoDB   ${system.dynamoEndpoint}  table ${system.table}${values['dynamodb-endpoint'] ? '  (given: left running on exit)' : system.dbPath ? `  data ${system.dbPath}` : '  (in memory)'}

A token with every scope (valid 12 h; POST ${system.url}/dev/token mints more):
  export SHELLGATE_TOKEN=${system.token}
The in-sandbox supervisor's token (scope policy:propose: submit and read policy drafts):
  export SHELLGATE_SUPERVISOR_TOKEN=${system.supervisorToken}

Try:
  curl -s ${system.url}/v1/sandboxes -H "Authorization: Bearer $SHELLGATE_TOKEN"

Ctrl-C stops everything.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await system.stop();
    process.exit(0);
  });
}
