/**
 * Every limit of the platform shellgate runs on that a request path can reach, with where the
 * number comes from. Code that could meet one checks it here, before it writes: a valid
 * request at a limit gets a success or a 4xx naming the field, never a 5xx from AWS.
 * docs/guarantees.md ("Limits") names the test that drives each path to its limit.
 */
export const PLATFORM = {
  dynamodb: {
    /**
     * Item size, attribute names and values together ("Item size", DynamoDB quotas). Objects are
     * bounded as JSON (LIMITS.objectBytes, 300 KiB): JSON is never smaller than DynamoDB's
     * encoding of strings, maps, lists and booleans, and exceeds it only for small numbers
     * (at most 1.5 ×), which only a policy (≤ 64 KiB) can hold in bulk — so an item stays
     * under 300 + 32 KiB.
     */
    itemBytes: 400 * 1024,
    /** TransactWriteItems: items per transaction ("Transactions", DynamoDB quotas). */
    transactionItems: 100,
    /** TransactWriteItems: total payload per transaction ("Transactions", DynamoDB quotas). */
    transactionBytes: 4 * 1024 * 1024,
    /** Any one expression string ("Expression parameters", DynamoDB quotas). */
    expressionBytes: 4 * 1024,
    /** Operators and functions in one expression ("Expression parameters", DynamoDB quotas). */
    expressionOperators: 300,
    /** A Query or Scan reads at most this much per call, then pages ("Query", API reference). */
    queryPageBytes: 1024 * 1024,
    /** Nesting of maps and lists in one item ("Nested attribute depth", DynamoDB quotas). */
    nestingDepth: 32,
    /** BatchWriteItem requests per call; BatchGetItem takes 100 ("BatchWriteItem", API reference). */
    batchWriteItems: 25,
    batchGetItems: 100,
  },
  lambda: {
    /** Synchronous invocation request and response payloads ("Lambda quotas"). */
    requestBytes: 6 * 1024 * 1024,
    responseBytes: 6 * 1024 * 1024,
  },
  apiGateway: {
    /** HTTP API payload size ("Amazon API Gateway quotas for HTTP APIs"). */
    payloadBytes: 10 * 1024 * 1024,
    /** HTTP API integration timeout ("Amazon API Gateway quotas for HTTP APIs"). */
    integrationTimeoutMs: 30_000,
    /** Request line and header values together ("Amazon API Gateway quotas for HTTP APIs"). */
    headerBytes: 10 * 1024,
  },
} as const;

/**
 * What shellgate allows itself within those limits, with the margin each keeps. A response
 * holds at most {@link RESPONSE_BUDGET.pageBytes} of stored objects per page (rendered views are
 * no larger than the stored items), so with the envelope it stays well under Lambda's 6 MB.
 */
export const RESPONSE_BUDGET = {
  /** Bytes of stored objects one page of a list may carry; a page always holds ≥ 1 object. */
  pageBytes: 4 * 1024 * 1024,
} as const;
