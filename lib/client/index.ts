export { buildPath, type ClientOptions, ShellgateClient } from './client.ts';
export { ApiError, ConnectionError } from './errors.ts';
export { type OperationId, type OperationMethod, operationIds, operations } from './operations.ts';
export type {
  OperationBody,
  OperationInput,
  OperationMethods,
  OperationResponse,
  OperationResult,
  Problem,
  RequestOptions,
} from './types.ts';
