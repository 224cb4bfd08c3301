// The per-request context every S3 handler receives. Everything uWS's stack-allocated HttpRequest
// holds (method, url, query, headers) is copied here synchronously before the first await.

import type { Engine } from '../store/api.js';
import type { IdentityLookup } from '../auth/identities.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../observe/log.js';
import type { BodyReader } from './body.js';
import type { Responder } from './response.js';

export interface AuthInfo {
  /** undefined = anonymous: allowed only what the bucket's policy allows (src/s3/policy-handlers.ts). */
  accessKeyId?: string;
  payloadMode: 'signed' | 'unsigned' | 'streaming-signed' | 'streaming-signed-trailer' | 'streaming-unsigned-trailer';
  /** Hex SHA-256 the client signed for the payload (payloadMode 'signed'). */
  payloadSha256Hex?: string;
  /** What the auth layer returned, kept whole for the aws-chunked decoder (seed signature, signing key …). */
  raw?: unknown;
}

export interface RequestContext {
  readonly reqId: string;
  readonly startMs: number;
  /** Upper-case. */
  readonly method: string;
  /** Path as received, still percent-encoded (SigV4 signs this form). */
  readonly rawPath: string;
  /** Query string as received, without '?'. */
  readonly rawQuery: string;
  /** Decoded query parameters; first occurrence wins. */
  readonly query: ReadonlyMap<string, string>;
  /** Lower-case names; repeated headers joined with ','. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  readonly engine: Engine;
  /** Who may sign requests (bucket policies check the principals they name against it). */
  readonly identities: IdentityLookup;
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly res: Responder;
  readonly body: BodyReader;
  /** Set by routing. */
  bucket?: string;
  key?: string;
  /** S3 operation name (GetObject, PutObject …) for logs and metrics. */
  op: string;
  auth?: AuthInfo;
  /** Payload bytes accepted (decoded). */
  bytesIn: number;
  errorCode?: string;
  /** Set when the client went away; handlers stop working and release resources. */
  aborted: boolean;
  /** Resources to release if the request ends early (writers, iterators). Run once. */
  readonly cleanups: (() => void)[];
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return v === undefined ? undefined : v;
}
