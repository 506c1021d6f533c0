import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowedScopes, type Contract, SUPER_SCOPE } from '#lib/contract/contract.ts';
import type { FunctionName } from '#lib/contract/index.ts';
import { LOG_RETENTION } from './shellgate-function.ts';

export interface ShellgateApiProps {
  /** The contract table. */
  routes: readonly Contract<FunctionName>[];
  /** The function serving each contract group. */
  functions: Record<FunctionName, IFunction>;
  /**
   * The group whose function answers requests no route matches (`$default`) with the handlers'
   * problem+json 404. The route is behind the JWT authorizer (without scopes), as on the dev
   * server: a request without a valid token is refused by API Gateway and invokes nothing.
   */
  unmatched: FunctionName;
  jwtIssuer: string;
  jwtAudience: readonly string[];
  /** Requests per second of the stage, and the burst above it. */
  throttle: { rateLimit: number; burstLimit: number };
}

/** JSON access log lines: who called which route, the outcome and where the time went. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    subject: '$context.authorizer.claims.sub',
  }),
);

/**
 * The HTTP API, made from the contract table: one route per entry, served by the function of its
 * group. A route with a scope is behind the JWT authorizer with that scope (or the super scope)
 * as its authorization scopes; a route without one is public. `$default` needs a valid token.
 */
export class ShellgateApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** Route constructs by `operationId` (a GET route's HEAD twin: `<operationId>Head`). */
  readonly routes: Record<string, HttpRoute> = {};
  /** `$default`: every request no route matches. */
  readonly unmatchedRoute: HttpRoute;

  constructor(scope: Construct, id: string, props: ShellgateApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'shellgate control plane',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      authorizerName: 'shellgate-jwt',
      jwtAudience: [...props.jwtAudience],
    });
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (fn: FunctionName) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${fn}-integration`, props.functions[fn]);
        integrations.set(fn, integration);
      }
      return integration;
    };

    // Every GET route has a HEAD twin on the same function, which answers it without the body.
    const keys = props.routes.flatMap((r) => [
      { r, method: HttpMethod[r.method], id: r.operationId },
      ...(r.method === 'GET' ? [{ r, method: HttpMethod.HEAD, id: `${r.operationId}Head` }] : []),
    ]);
    for (const { r, method, id } of keys) {
      const route = new HttpRoute(this, id, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(r.path, method),
        integration: integrationOf(r.fn),
        ...(r.scope === null
          ? { authorizer: new HttpNoneAuthorizer() }
          : { authorizer, authorizationScopes: [...allowedScopes(r), SUPER_SCOPE] }),
      });
      if (r.scope === null) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${method} ${r.path} is public by design (liveness and the API description); its contract gives it no scope.`,
        });
      }
      this.routes[id] = route;
    }

    // Without the authorizer every unauthenticated request to a made-up path would be a Lambda
    // invocation; with it, only callers holding a valid token reach the function's 404.
    this.unmatchedRoute = new HttpRoute(this, 'Unmatched', {
      httpApi: this.httpApi,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integrationOf(props.unmatched),
      authorizer,
    });
  }

  /** The base URL of the `$default` stage. */
  get url(): string {
    return this.stage.url;
  }
}
