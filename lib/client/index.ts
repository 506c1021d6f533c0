export { buildPath, type ClientOptions, ShellgateClient } from './client.ts';
export { ApiError, ConnectionError } from './errors.ts';
export type {
  OperationBody,
  OperationId,
  OperationInput,
  OperationMethods,
  OperationResponse,
  OperationResult,
  Problem,
  RequestOptions,
} from './types.ts';
