import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allowedScopes } from '#lib/contract/contract.ts';
import { contracts } from '#lib/contract/index.ts';
import { createHttpHandler } from '#lib/http/handler.ts';
import { openApiDocument } from '#lib/http/openapi.ts';
import { meta } from '#lib/http/routes/meta.ts';
import { servedDocument } from '#lib/http/served.ts';
import { localContext, toApiGatewayEvent } from '#local/event.ts';

/** The committed `openapi.json`: current, served as is, and clean under two linters. */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const file = `${root}openapi.json`;
const committed = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** A linter's CLI, run by this Node (24) with nothing sent home. */
async function lint(cli: string, args: string[]) {
  const res = await run(process.execPath, [`${root}node_modules/${cli}`, ...args], {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string; code?: number }) => ({
    stdout: err.stdout ?? '',
    stderr: `${err.stderr ?? ''} (exit ${err.code})`,
  }));
  return res;
}

describe('openapi.json', () => {
  it('is the document the contract table generates (else: npm run openapi)', () => {
    expect(committed(), 'openapi.json is stale: run `npm run openapi`').toEqual(openApiDocument());
  });

  it('is what the meta function serves, packed by npm run openapi, for any issuer', () => {
    expect(servedDocument(undefined)).toEqual(openApiDocument());
    const issuer = 'https://login.example.org/realms/dev';
    expect(servedDocument(issuer)).toEqual(openApiDocument({ issuer }));
  });

  it('is what GET /v1/openapi.json serves', async () => {
    // arrange: the handlers need a table name to start, though this route reads nothing.
    process.env.SHELLGATE_TABLE ??= 'shellgate-openapi-test';
    const handler = createHttpHandler(meta);
    const event = toApiGatewayEvent(
      { method: 'GET', path: '/v1/openapi.json', rawQueryString: '', headers: {}, body: '' },
      { route: meta.routes.find((r) => r.operationId === 'openapi')!, params: {} },
      undefined,
    );
    // act
    const res = await handler(event, localContext('meta'));
    // assert
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual(committed());
  });

  it('declares every route of the contract table, by its operationId', () => {
    const paths = committed().paths as Record<string, Record<string, { operationId: string }>>;
    const declared = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`,
      ),
    );
    expect(declared.sort()).toEqual(
      contracts.map((r) => `${r.method} ${r.path} ${r.operationId}`).sort(),
    );
  });

  it("names the placeholder issuer of cdk.json until a deployment's is given", async () => {
    const { PLACEHOLDER_ISSUER } = await import('../../cdk/settings.ts');
    const scheme = (committed().components as { securitySchemes: { oidc: Record<string, string> } })
      .securitySchemes.oidc;
    expect(scheme).toMatchObject({ type: 'openIdConnect' });
    expect(scheme.openIdConnectUrl).toBe(
      `${PLACEHOLDER_ISSUER.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    );
    const deployed = openApiDocument({ issuer: 'https://auth.example.org/realms/x/' });
    expect(
      (deployed.components as { securitySchemes: { oidc: Record<string, string> } }).securitySchemes
        .oidc.openIdConnectUrl,
    ).toBe('https://auth.example.org/realms/x/.well-known/openid-configuration');
    // A function whose environment names the issuer serves the document with it.
    process.env.SHELLGATE_TABLE ??= 'shellgate-openapi-test';
    process.env.SHELLGATE_JWT_ISSUER = 'https://auth.example.org/realms/x';
    try {
      const handler = createHttpHandler(meta);
      const event = toApiGatewayEvent(
        { method: 'GET', path: '/v1/openapi.json', rawQueryString: '', headers: {}, body: '' },
        { route: meta.routes.find((r) => r.operationId === 'openapi')!, params: {} },
        undefined,
      );
      const served = JSON.parse((await handler(event, localContext('meta'))).body);
      expect(served.components.securitySchemes.oidc.openIdConnectUrl).toBe(
        'https://auth.example.org/realms/x/.well-known/openid-configuration',
      );
      expect({ ...served, components: undefined }).toEqual({
        ...committed(),
        components: undefined,
      });
    } finally {
      delete process.env.SHELLGATE_JWT_ISSUER;
    }
  });

  it("is clean under Redocly's recommended-strict: no error, no warning", async () => {
    // act
    const res = await lint('@redocly/cli/bin/cli.js', [
      'lint',
      '--config',
      'redocly.yaml',
      '--format',
      'json',
      'openapi.json',
    ]);
    // assert
    const report = JSON.parse(res.stdout) as {
      totals: Record<string, number>;
      problems: unknown[];
    };
    expect(report.problems, res.stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it("is clean under Spectral's spectral:oas but for the one warning docs/api.md explains", async () => {
    // act
    const res = await lint('@stoplight/spectral-cli/dist/index.js', [
      'lint',
      '--ruleset',
      '.spectral.yaml',
      '--format',
      'json',
      '--fail-severity',
      'error',
      'openapi.json',
    ]);
    // assert
    const results = JSON.parse(res.stdout || '[]') as Array<{
      code: string;
      severity: number;
      path: string[];
      message: string;
    }>;
    expect(results.filter((r) => r.severity === 0)).toEqual([]);
    // Spectral looks for an operation's scopes among OAuth2 flows; an OpenID Connect scheme has
    // none, though OpenAPI 3.1 (§4.8.30) lets its requirements name scopes. Nothing else warns.
    const others = results.filter(
      (r) =>
        !(
          r.code === 'oas3-operation-security-defined' &&
          r.path.at(-4) === 'security' &&
          r.path.at(-2) === 'oidc' &&
          /^"[a-z:]+" must be listed among scopes\.$/.test(r.message)
        ),
    );
    expect(others).toEqual([]);
    // One per scope an operation lists, and shellgate:all.
    const listed = contracts.reduce(
      (n, r) => n + (r.scope === null ? 0 : allowedScopes(r).length + 1),
      0,
    );
    expect(results).toHaveLength(listed);
  });
});
