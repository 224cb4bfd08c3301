// The auth layer's one error type. The code is the S3 error code string; the S3 layer owns the
// mapping code → HTTP status / XML in its catalog. Auth never throws anything else on bad input.

export const AUTH_ERROR_CODES = [
  'AccessDenied', // includes "Request has expired" for presigned URLs, as S3 does
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'MissingSecurityHeader',
  'InvalidRequest',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
  'InvalidArgument',
  'ExpiredToken',
  'NotImplemented',
] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isAuthError(e: unknown): e is AuthError {
  return e instanceof AuthError;
}
