import * as z from 'zod/mini';
import { childPrefix } from '#lib/domain/keys.ts';
import { LIMITS } from '#lib/domain/limits.ts';
import { name, pagination, preconditions, uuid } from './common.ts';

export const SSHSessionBody = z.strictObject({
  ttlSeconds: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(LIMITS.ttlSecondsMax))),
  ...preconditions,
});
export type SSHSessionBody = z.infer<typeof SSHSessionBody>;

export const ServiceBody = z.strictObject({
  targetPort: z.number().check(z.int(), z.minimum(1), z.maximum(65535)),
  domain: z.optional(z.boolean()),
  ...preconditions,
});
export type ServiceBody = z.infer<typeof ServiceBody>;

export const SessionParams = z.strictObject({ id: uuid });
export const ServiceParams = z.strictObject({ name, service: name });

export const ServiceListQuery = z.strictObject({
  ...pagination({ byKind: true, children: [childPrefix.service] }),
  sandbox: z.optional(name),
});
