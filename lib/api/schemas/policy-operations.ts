import * as z from 'zod/mini';
import { binaryPath, hostChecked, port, proposedRule, ruleName } from './network-rules.ts';

/**
 * The operations of a policy merge (SPEC §7.2), apart from the rules they carry so that only
 * the function serving merges builds them.
 */

/** A host to remove from endpoints: any well-formed one, since removing can only narrow. */
const removedHost = hostChecked(false);

export const policyOperation = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('addRule'), ruleName, rule: proposedRule }),
  z.strictObject({ op: z.literal('removeRule'), ruleName }),
  z.strictObject({
    op: z.literal('removeEndpoint'),
    ruleName: z.optional(ruleName),
    host: removedHost,
    port,
  }),
  z.strictObject({ op: z.literal('removeBinary'), ruleName, path: binaryPath }),
]);
