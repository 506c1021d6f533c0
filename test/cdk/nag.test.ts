import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '#lib/http/routes.ts';
import { fastApp } from './app.ts';

const outdirs: string[] = [];
function outdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shellgate-cdk-'));
  outdirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every acknowledgement in the tree: construct path → rule id → reason. */
function acknowledgements(root: IConstruct): Record<string, Record<string, string>> {
  const found: Record<string, Record<string, string>> = {};
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      found[construct.node.path] = { ...found[construct.node.path], ...entry.data };
    }
  }
  return found;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in the app', () => {
    const { app } = fastApp({}, { outdir: outdir() });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding, so the checks really run', () => {
    // arrange
    const dir = outdir();
    const { app, stack } = fastApp({}, { outdir: dir });
    new Topic(stack, 'PlainTopic');
    // act
    const synth = () => app.synth();
    // assert
    expect(synth).toThrow(/AwsSolutions-SNS3/);
    const report = readFileSync(path.join(dir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-SNS3');
    expect(report).toContain(`${stack.stackName}/PlainTopic/Resource`);
  });

  it('acknowledges only the public routes, each on its route with a reason', () => {
    const { app, stack } = fastApp();
    const publicRoutes = routes
      .filter((r) => r.scope === null)
      .flatMap((r) => [r.operationId, ...(r.method === 'GET' ? [`${r.operationId}Head`] : [])]);
    const acks = acknowledgements(app);
    // `$default` (Unmatched) is behind the JWT authorizer: it needs no acknowledgement.
    expect(Object.keys(acks).sort()).toEqual(
      publicRoutes.map((id) => `${stack.stackName}/Api/${id}`).sort(),
    );
    for (const rules of Object.values(acks)) {
      expect(Object.keys(rules)).toEqual([expect.stringMatching(/AwsSolutions-APIG4$/)]);
      expect(Object.values(rules)[0]!.length).toBeGreaterThan(40);
    }
  });
});
