// The one catalog of S3 errors Strata answers with: code → HTTP status and default message.
// Every error a client sees is created here (S3Error) or mapped here from a lower layer's error
// (StoreError, AuthError), so the wire contract can be reviewed in one file.

import { StoreError } from '../store/api.js';

export const S3_ERRORS = {
  AccessControlListNotSupported: [400, 'The bucket does not allow ACLs'],
  AccessDenied: [403, 'Access Denied'],
  // A CORS preflight no rule allows (or a bucket without CORS). "evalution" is S3's own spelling.
  AccessForbidden: [403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter.'],
  BadRequest: [400, 'Insufficient information. Origin request header needed.'],
  BadDigest: [400, 'The Content-MD5 or checksum you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  ExpiredToken: [400, 'The provided token has expired.'],
  IllegalLocationConstraintException: [400, 'The specified location-constraint is not valid for this region.'],
  IncorrectNumberOfFilesInPostRequest: [400, 'POST requires exactly one file upload per request.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS access key ID you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketAclWithObjectOwnership: [400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"],
  InvalidBucketState: [409, 'The request is not valid with the current state of the bucket.'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 or checksum you specified is not valid.'],
  InvalidEncodingType: [400, 'Invalid Encoding Method specified in Request'],
  InvalidLocationConstraint: [400, 'The specified location constraint is not valid.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found.'],
  InvalidPartNumber: [416, 'The requested partnumber is not satisfiable'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  // PutObjectLockConfiguration with Days / Years out of range (s3-tests test_object_lock_put_obj_lock_invalid_days).
  InvalidRetentionPeriod: [400, 'The retention period you specified is not valid.'],
  InvalidStorageClass: [400, 'The storage class you specified is not valid.'],
  InvalidTag: [400, 'The tag provided was not a valid tag.'],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  KeyTooLongError: [400, 'Your key is too long.'],
  MalformedACLError: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MalformedPolicy: [400, 'Policies must be valid JSON and the first byte must be \'{\''],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MalformedPOSTRequest: [400, 'The body of your POST request is not well-formed multipart/form-data.'],
  MaxMessageLengthExceeded: [400, 'Your request was too big.'],
  MaxPostPreDataLengthExceeded: [400, 'Your POST request fields preceding the upload file were too large.'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  MissingSecurityHeader: [400, 'Your request is missing a required header.'],
  NoSuchBucketPolicy: [404, 'The bucket policy does not exist'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist'],
  NoSuchBucket: [404, 'The specified bucket does not exist.'],
  NoSuchConfiguration: [404, 'The specified configuration does not exist.'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchLifecycleConfiguration: [404, 'The lifecycle configuration does not exist'],
  NoSuchTagSet: [404, 'The TagSet does not exist'],
  NoSuchUpload: [404, 'The specified multipart upload does not exist.'],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NoSuchWebsiteConfiguration: [404, 'The specified bucket does not have a website configuration'],
  NotImplemented: [501, 'A header or query you provided implies functionality that is not implemented.'],
  NotModified: [304, 'Not Modified'],
  // MinIO's code for a policy over the size limit; AWS documents the 20 KB limit but not its error code.
  PolicyTooLarge: [400, 'Policy exceeds the maximum allowed document size.'],
  OwnershipControlsNotFoundError: [404, 'The bucket ownership controls were not found'],
  ObjectLockConfigurationNotFoundError: [404, 'Object Lock configuration does not exist for this bucket'],
  NoSuchObjectLockConfiguration: [404, 'The specified object does not have a ObjectLock configuration'],
  PreconditionFailed: [412, 'At least one of the preconditions you specified did not hold.'],
  ReplicationConfigurationNotFoundError: [404, 'The replication configuration was not found'],
  RequestHeaderSectionTooLarge: [400, 'Your request header section exceeds the maximum allowed size.'],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period.'],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  ServerSideEncryptionConfigurationNotFoundError: [404, 'The server side encryption configuration was not found'],
  NoSuchPublicAccessBlockConfiguration: [404, 'The public access block configuration was not found'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided.'],
  SlowDown: [503, 'Please reduce your request rate.'],
  UnresolvableGrantByEmailAddress: [400, 'The e-mail address you provided does not match any account on record.'],
  UnexpectedContent: [400, 'This request does not support content.'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

export function isS3ErrorCode(code: string): code is S3ErrorCode {
  return Object.prototype.hasOwnProperty.call(S3_ERRORS, code);
}

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra headers the error response carries (Content-Range on 416, Allow on 405 …). */
  readonly headers: Record<string, string>;
  /** Extra XML elements after <Message> (e.g. <Key>, <BucketName>, <Condition>). */
  readonly details: Record<string, string>;
  constructor(
    code: S3ErrorCode,
    message?: string,
    options?: { headers?: Record<string, string>; details?: Record<string, string>; cause?: unknown },
  ) {
    const [status, defaultMessage] = S3_ERRORS[code];
    super(message ?? defaultMessage, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'S3Error';
    this.code = code;
    this.status = status;
    this.headers = options?.headers ?? {};
    this.details = options?.details ?? {};
  }
}

/** StoreError → S3Error. The only place engine failures become wire errors. */
export function fromStoreError(err: StoreError, ctx?: { bucket?: string; key?: string }): S3Error {
  switch (err.code) {
    case 'NoSuchBucket':
      return new S3Error('NoSuchBucket', undefined, { details: ctx?.bucket ? { BucketName: ctx.bucket } : {} });
    case 'BucketExists':
      return new S3Error('BucketAlreadyOwnedByYou', undefined, { details: ctx?.bucket ? { BucketName: ctx.bucket } : {} });
    case 'BucketNotEmpty':
      return new S3Error('BucketNotEmpty', undefined, { details: ctx?.bucket ? { BucketName: ctx.bucket } : {} });
    case 'NoSuchKey':
      return new S3Error('NoSuchKey', undefined, { details: ctx?.key !== undefined ? { Key: ctx.key } : {} });
    case 'PreconditionFailed':
      return new S3Error('PreconditionFailed', undefined, { details: { Condition: 'If-Match' } });
    case 'Busy':
      return new S3Error('SlowDown');
    case 'Unavailable':
      return new S3Error('ServiceUnavailable', 'Too few healthy drives to serve the request.');
    case 'DataLoss':
      // Never return wrong bytes; the object exists but cannot be reconstructed right now.
      return new S3Error('InternalError', 'The object cannot be read: too many shards are missing or corrupt.');
    case 'Aborted':
      return new S3Error('RequestTimeout', 'The request was aborted.');
    case 'InvalidArgument':
      return new S3Error('InvalidArgument', err.message);
    case 'Internal':
    default:
      return new S3Error('InternalError');
  }
}

/** Codes an AuthError may carry that are S3 codes already; anything else becomes AccessDenied. */
export function fromAuthError(err: { code: string; message?: string }): S3Error {
  const code = err.code;
  if (isS3ErrorCode(code) && code !== 'InternalError') return new S3Error(code, err.message || undefined);
  if (code === 'IncompleteSignature' || code === 'InvalidSignature') return new S3Error('SignatureDoesNotMatch', err.message);
  if (code === 'MissingAuthenticationToken') return new S3Error('AccessDenied', err.message);
  return new S3Error('AccessDenied', err.message || undefined);
}

/** Anything thrown anywhere → an S3Error; `internal` tells the caller to log it (never shown to the client). */
export function toS3Error(err: unknown, ctx?: { bucket?: string; key?: string }): { error: S3Error; internal: boolean } {
  if (err instanceof S3Error) return { error: err, internal: false };
  if (err instanceof StoreError || (err instanceof Error && err.name === 'StoreError' && 'code' in err)) {
    const e = fromStoreError(err as StoreError, ctx);
    return { error: e, internal: e.code === 'InternalError' };
  }
  if (err instanceof Error && err.name === 'AuthError' && typeof (err as { code?: unknown }).code === 'string') {
    return { error: fromAuthError(err as Error & { code: string }), internal: false };
  }
  return { error: new S3Error('InternalError'), internal: true };
}

export function xmlEscape(s: string): string {
  // Control characters are legal in keys; S3 emits them as character references.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[&<>"'\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : `&#x${c.charCodeAt(0).toString(16)};`,
  );
}

export function renderErrorXml(err: S3Error, resource: string, requestId: string): string {
  let extra = '';
  for (const [k, v] of Object.entries(err.details)) extra += `<${k}>${xmlEscape(v)}</${k}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>${extra}` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}
