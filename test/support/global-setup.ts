import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { ensureTestPackages } from './system-packages.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the whole run and stops it by pid at the end. */
export default async function setup(project: TestProject) {
  ensureTestPackages();
  const db = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', db.endpoint);
  return async () => {
    await db.stop();
  };
}
