// The auth layer's public surface. Callers may also import the individual modules directly.
export { AuthError, AUTH_ERROR_CODES, isAuthError, type AuthErrorCode } from './errors.js';
export { IdentityStore, isValidAccessKeyId, type Identity, type IdentityLookup } from './identities.js';
export { authenticate } from './verify.js';
export { verifyPostPolicy, type PostPolicyOptions, type PostPolicyResult } from './post-policy.js';
export type { AnonymousAuth, AuthOptions, AuthRequest, AuthResult, PayloadMode } from './request.js';
export { DEFAULT_MAX_SKEW_MS } from './request.js';
export { AwsChunkedDecoder, chunkedModeFor, type AwsChunkedDecoderOptions, type AwsChunkedResult, type ChunkSigning } from './chunked.js';
export {
  awsChunkedEncodedLength,
  createChunkSigner,
  encodeAwsChunked,
  presignUrl,
  signRequest,
  signRequestDetailed,
  trailerSignature,
  type ChunkSigner,
  type ChunkSigningContext,
  type PresignInput,
  type SignRequestInput,
  type SignedRequest,
} from './sign-request.js';
export {
  EMPTY_SHA256_HEX,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalQueryFromPairs,
  uriEncode,
} from './sigv4.js';
