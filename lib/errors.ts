/**
 * Typed errors with string codes. The HTTP layer maps them to problem+json in one place;
 * nothing else builds error responses.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'ABORTED',
  'FAILED_PRECONDITION',
  'IDEMPOTENCY_MISMATCH',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Kinds whose messages do not name them by their words (`describeObject`). */
const KIND_LABELS: Record<string, (name: string) => string> = {
  SandboxSettings: (name) => `the settings of sandbox ${name}`,
  GlobalSettings: () => 'the global settings',
  GlobalPolicy: () => 'the global policy',
};

/**
 * How messages name an object: its kind's words, acronyms kept (`SSHSession` → `SSH session`),
 * then its name — `sandbox dev`, `SSH session <id>`, `inference route chat` — unless
 * `KIND_LABELS` says otherwise (`the global settings`).
 */
export function describeObject(kind: string, name: string): string {
  const label = KIND_LABELS[kind];
  if (label) return label(name);
  const words = kind.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g) ?? [kind];
  return `${words.map((w) => (w === w.toUpperCase() ? w : w.toLowerCase())).join(' ')} ${name}`;
}

export class ShellgateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface FieldViolation {
  /** Dotted path of the offending field, e.g. `body.spec.providers`, `query.pageSize`. */
  field: string;
  message: string;
}

export class InvalidArgument extends ShellgateError {
  readonly errors: FieldViolation[];
  constructor(errors: FieldViolation[], message?: string) {
    super('INVALID_ARGUMENT', message ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.errors = errors;
  }
}

export class Unauthenticated extends ShellgateError {
  constructor(message = 'A valid bearer token is required.') {
    super('UNAUTHENTICATED', message);
  }
}

export class PermissionDenied extends ShellgateError {
  constructor(scope: string) {
    super('PERMISSION_DENIED', `The token lacks the scope ${scope}.`);
  }
}

export class NotFound extends ShellgateError {
  readonly kind: string;
  readonly objectName: string;
  constructor(kind: string, name: string) {
    super('NOT_FOUND', `${describeObject(kind, name)} does not exist.`);
    this.kind = kind;
    this.objectName = name;
  }
}

export class AlreadyExists extends ShellgateError {
  readonly kind: string;
  readonly objectName: string;
  /** The object that holds the name, when the failed write returned it (never exposed). */
  readonly existing: unknown;
  constructor(kind: string, name: string, existing?: unknown) {
    super('ALREADY_EXISTS', `${describeObject(kind, name)} already exists.`);
    this.kind = kind;
    this.objectName = name;
    this.existing = existing;
  }
}

/** A version precondition failed, or server-side retries ran out. Carries the current object. */
export class Aborted extends ShellgateError {
  readonly kind: string;
  readonly objectName: string;
  readonly currentResourceVersion: number;
  readonly current: unknown;
  constructor(
    kind: string,
    name: string,
    currentResourceVersion: number,
    current: unknown,
    message?: string,
  ) {
    super(
      'ABORTED',
      message ??
        `${describeObject(kind, name)} was modified by another operation (current resourceVersion ${currentResourceVersion}).`,
    );
    this.kind = kind;
    this.objectName = name;
    this.currentResourceVersion = currentResourceVersion;
    this.current = current;
  }
}

export class FailedPrecondition extends ShellgateError {
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('FAILED_PRECONDITION', message);
    this.details = details;
  }
}

export class IdempotencyMismatch extends ShellgateError {
  constructor() {
    super('IDEMPOTENCY_MISMATCH', 'The Idempotency-Key was already used with a different request.');
  }
}

export class ResourceExhausted extends ShellgateError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds = 1, options?: ErrorOptions) {
    super('RESOURCE_EXHAUSTED', 'The request was throttled; retry later.', options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class Unavailable extends ShellgateError {
  readonly retryAfterSeconds: number;
  constructor(
    retryAfterSeconds = 1,
    options?: ErrorOptions,
    message = 'The service is temporarily unavailable; retry later.',
  ) {
    super('UNAVAILABLE', message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class Internal extends ShellgateError {
  constructor(message = 'Internal error.', options?: ErrorOptions) {
    super('INTERNAL', message, options);
  }
}
