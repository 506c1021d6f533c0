import { ApiError, ConnectionError } from '#lib/client/errors.ts';
import { ShellgateError } from '#lib/errors.ts';

/** The exit status of every `shellgate` command, for scripts. */
export const ExitCode = {
  ok: 0,
  /** Anything else: an internal server error, an unexpected failure. */
  error: 1,
  /** The command line or the request was invalid (`INVALID_ARGUMENT`, `IDEMPOTENCY_MISMATCH`). */
  invalid: 2,
  /** `NOT_FOUND`. */
  notFound: 3,
  /** `ABORTED` (a version conflict), `ALREADY_EXISTS`, `FAILED_PRECONDITION`. */
  conflict: 4,
  /** `UNAUTHENTICATED`, `PERMISSION_DENIED`: a missing, expired or too narrow token. */
  auth: 5,
  /** The API could not be reached, was unavailable (`UNAVAILABLE`) or throttled (`RESOURCE_EXHAUSTED`). */
  unavailable: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_CODE: Record<string, ExitCode> = {
  INVALID_ARGUMENT: ExitCode.invalid,
  IDEMPOTENCY_MISMATCH: ExitCode.invalid,
  NOT_FOUND: ExitCode.notFound,
  ABORTED: ExitCode.conflict,
  ALREADY_EXISTS: ExitCode.conflict,
  FAILED_PRECONDITION: ExitCode.conflict,
  UNAUTHENTICATED: ExitCode.auth,
  PERMISSION_DENIED: ExitCode.auth,
  RESOURCE_EXHAUSTED: ExitCode.unavailable,
  UNAVAILABLE: ExitCode.unavailable,
};

/** A mistake on the command line that no request was sent for. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  // ShellgateError: `migrate` works on the store directly and meets the same codes there.
  if (err instanceof ApiError || err instanceof ShellgateError) {
    return BY_CODE[err.code] ?? ExitCode.error;
  }
  if (err instanceof ConnectionError) return ExitCode.unavailable;
  if (err instanceof UsageError) return ExitCode.invalid;
  if (err instanceof CommandFailed) return err.exitCode;
  return ExitCode.error;
}

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  other error (internal server error, unexpected failure)
  2  invalid input: a usage error or INVALID_ARGUMENT
  3  not found (NOT_FOUND)
  4  conflict: ABORTED (modified by another operation), ALREADY_EXISTS, FAILED_PRECONDITION
  5  authentication or authorization (UNAUTHENTICATED, PERMISSION_DENIED)
  6  unavailable: cannot connect, UNAVAILABLE, RESOURCE_EXHAUSTED (throttled)`;

/** A failure whose message the command composed itself: printed as is, with this exit code. */
export class CommandFailed extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = 'CommandFailed';
    this.exitCode = exitCode;
  }
}
