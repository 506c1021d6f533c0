import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

/** The event API Gateway's HTTP API (payload 2.0, JWT authorizer) passes to a function. */
export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
