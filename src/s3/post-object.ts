// POST Object: browser-based uploads (POST /<bucket>, Content-Type: multipart/form-data), as produced by
// the AWS SDKs' createPresignedPost and minio-js' presignedPostPolicy. The credentials are form fields
// (a SigV4-signed policy), so the server routes this request without authenticating it
// (ROUTES.authInBody) and this handler authenticates once it has the fields:
//
//   text fields (bounded) → the file part arrives → ${filename} into `key` → verify the policy
//   (src/auth/post-policy.ts via auth-glue) → NoSuchBucket / key / metadata checks → engine writer
//   → stream the file with backpressure → content-length-range → digests → commit → 204/201/200/303.
//
// S3 requires the file to be the last part; fields after it are ignored (as S3 does), and no byte of
// the file reaches the engine before the policy verified. Copies: one per body chunk into a Buffer the
// parser may keep (uWS's chunk dies when its callback returns), then the engine's own copy into its block.

import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { CommitRequest, ObjectWriter } from '../store/api.js';
import type { RequestContext } from '../http/context.js';
import type { BodySink } from '../http/body.js';
import type { HeaderList } from '../http/response.js';
import { MAX_POLICY_BASE64_CHARS } from '../auth/post-policy.js';
import { uriEncode } from '../auth/sigv4.js';
import { S3Error, xmlEscape } from './errors.js';
import { aclForNewObject, noteObjectOwner } from './acl.js';
import type { Acl } from './acl-model.js';
import { authenticatePostForm } from './auth-glue.js';
import { authorizeAction } from './policy-handlers.js';
import { requireBucket } from './common.js';
import { refuseUnsupportedWriteHeaders } from './unsupported-write-headers.js';
import { assertObjectKey } from './names.js';
import { CHECKSUM_HEADERS, quoteEtag, systemMetaFromHeaders, userMetaFromHeaders } from './object-meta.js';
import { checksumsToRequest, planBody, verifyDigests, type BodyPlan } from './payload.js';
import { parseTaggingXml, type Tags } from './tags.js';
import { XML_DECL } from './xml.js';
import { bucketVersioning, writtenVersionHeaders } from './versioning.js';
import { lockAtCommit, planWriteLock, type WriteLock } from './object-lock-handlers.js';

/** Text fields before the file part; one more is MaxPostPreDataLengthExceeded. */
export const POST_MAX_FIELDS = 64;
/** One field's value; the policy (base64) is the largest legitimate one. */
export const POST_MAX_FIELD_VALUE_BYTES = MAX_POLICY_BASE64_CHARS;
export const POST_MAX_FIELD_NAME_BYTES = 256;
/** All names and values before the file together: the most this handler buffers per request. */
export const POST_MAX_PRE_FILE_BYTES = 128 * 1024;
/** Header lines of one part (Content-Disposition, Content-Type, a few more). */
export const POST_MAX_PART_HEADERS = 16;
/** The parser's input buffer and the file stream's buffer; past them the socket is paused. */
export const POST_PARSER_BUFFER_BYTES = 64 * 1024;

const FILENAME_VARIABLE = '${filename}';
/** Form fields that become object metadata exactly as the same-named PUT headers do. */
const SYSTEM_FIELDS = new Set(['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires', 'content-md5']);

interface Upload {
  bucket: string;
  key: string;
  writer: ObjectWriter;
  commit: Omit<CommitRequest, 'layout' | 'sizeBytes' | 'etag' | 'checksums'>;
  plan: BodyPlan;
  /** x-amz-object-lock-* fields or the bucket's default retention, applied at commit. */
  lock: WriteLock | undefined;
  minBytes: number;
  maxBytes: number;
  status: 200 | 201 | 204;
  redirect?: string;
  receivedBytes: number;
  ended: boolean;
}

function malformed(detail?: string): S3Error {
  return new S3Error('MalformedPOSTRequest', detail === undefined ? undefined : `The body of your POST request is not well-formed multipart/form-data: ${detail.slice(0, 128)}.`);
}

/** success_action_status: 200, 201 or 204; anything else is 204 (S3). */
function successStatus(v: string | undefined): 200 | 201 | 204 {
  return v === '200' ? 200 : v === '201' ? 201 : 204;
}

/** An absolute http(s) URL, or undefined (S3 ignores a redirect it cannot use). */
function redirectTarget(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function postObject(ctx: RequestContext): Promise<void> {
  const bucket = ctx.bucket!;
  const limits = ctx.config.limits;
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { 'content-type': ctx.headers['content-type'] ?? '' },
      limits: {
        fields: POST_MAX_FIELDS,
        fieldSize: POST_MAX_FIELD_VALUE_BYTES,
        fieldNameSize: POST_MAX_FIELD_NAME_BYTES,
        // Any part with a filename is a "file" to busboy; only the one named `file` is the content
        // (below), so the parts limit is the real bound.
        files: POST_MAX_FIELDS + 1,
        parts: POST_MAX_FIELDS + 1,
        headerPairs: POST_MAX_PART_HEADERS,
      },
      highWaterMark: POST_PARSER_BUFFER_BYTES,
      fileHwm: POST_PARSER_BUFFER_BYTES,
      defParamCharset: 'utf8',
    });
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : undefined);
  }

  const fields: [string, string][] = [];
  const seen = new Set<string>();
  let preFileBytes = 0;
  let upload: Upload | undefined;
  let fileSeen = false;
  let failure: unknown;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const parsed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  parsed.catch(() => {}); // observed below; a failure before the await must not be "unhandled"

  const fail = (err: unknown): void => {
    if (failure !== undefined) return;
    failure = err;
    settle.reject(err);
    ctx.body.fail(err); // stop feeding; sendError drains a short rest or closes the connection
    bb.destroy();
  };

  /** Everything that must hold before a byte of the file is accepted; throws S3Error / AuthError. */
  const prepare = (filename: string): Upload => {
    const keyField = fields.find(([n]) => n.toLowerCase() === 'key');
    if (keyField === undefined) {
      throw new S3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", {
        details: { ArgumentName: 'key', ArgumentValue: '' },
      });
    }
    // The policy sees the key after substitution (a starts-with "$key" condition matches the real name).
    const key = keyField[1].split(FILENAME_VARIABLE).join(filename);
    const form: Record<string, string> = {};
    for (const [n, v] of fields) form[n] = n.toLowerCase() === 'key' ? key : v;
    const policy = authenticatePostForm(ctx, form, bucket);
    const b = requireBucket(ctx);
    assertObjectKey(key, limits.maxKeyBytes);
    // Signed or anonymous: the bucket policy (a Deny on this key, an Allow) and the bucket ACL (WRITE) decide.
    authorizeAction(ctx, b, 's3:PutObject', key);
    ctx.key = key;

    const h: Record<string, string> = {};
    const lower = new Map<string, string>();
    for (const [n, v] of fields) {
      const ln = n.toLowerCase();
      lower.set(ln, v);
      if (SYSTEM_FIELDS.has(ln) || ln.startsWith('x-amz-meta-') || ln.startsWith('x-amz-checksum-')) h[ln] = v;
    }
    // Content-MD5 / x-amz-checksum-* as fields are validated exactly like the PUT headers.
    const plan = planBody({ headers: h, auth: undefined } as unknown as RequestContext, { requireLength: false, maxBytes: limits.maxObjectSizeBytes });
    const system = systemMetaFromHeaders(h);
    const user = userMetaFromHeaders(h, limits.maxUserMetadataBytes);
    refuseUnsupportedWriteHeaders(Object.fromEntries(lower));
    // The form's `acl` field (x-amz-grant-* are not form fields S3 reads).
    const acl = aclForNewObject(ctx, b, lower.get('acl') ?? '');
    const lock = planWriteLock(ctx, b, key, Object.fromEntries(lower));
    const tagging = lower.get('tagging');
    const tags: Tags | undefined = tagging === undefined ? undefined : parseTaggingXml(tagging, 'object');

    const writer = ctx.engine.createWriter({ checksums: checksumsToRequest(plan), sha256Hex: false, placementKey: `${bucket}/${key}` });
    ctx.cleanups.push(() => writer.abort('request ended before commit'));
    const commit: Upload['commit'] = { bucket, key, system, user };
    if (tags) commit.tags = tags;
    if (acl !== undefined) commit.acl = acl;
    const u: Upload = {
      bucket,
      key,
      writer,
      commit,
      plan,
      lock,
      minBytes: policy?.contentLengthRange?.min ?? 0,
      maxBytes: Math.min(limits.maxObjectSizeBytes, policy?.contentLengthRange?.max ?? Infinity),
      status: successStatus(lower.get('success_action_status')),
      receivedBytes: 0,
      ended: false,
    };
    const redirect = redirectTarget(lower.get('success_action_redirect') ?? lower.get('redirect'));
    if (redirect !== undefined) u.redirect = redirect;
    return u;
  };

  const feed = (u: Upload, chunk: Uint8Array, stream: Readable | undefined): void => {
    if (failure !== undefined) return;
    u.receivedBytes += chunk.byteLength;
    ctx.bytesIn = u.receivedBytes;
    if (u.receivedBytes > u.maxBytes) {
      fail(new S3Error('EntityTooLarge', undefined, { details: { ProposedSize: String(u.receivedBytes), MaxSizeAllowed: String(u.maxBytes) } }));
      return;
    }
    if (!u.writer.write(chunk) && stream) {
      // The engine is over its budget: stop the file stream; the parser then stops taking input and
      // sink.write returns false, which pauses the socket.
      stream.pause();
      u.writer.onDrain(() => {
        if (failure === undefined) stream.resume();
      });
    }
  };

  const startFile = (filename: string, stream: Readable | undefined, text?: Buffer): void => {
    fileSeen = true;
    let u: Upload;
    try {
      u = prepare(filename);
    } catch (err) {
      stream?.resume();
      fail(err);
      return;
    }
    upload = u;
    if (stream === undefined) {
      feed(u, text ?? Buffer.alloc(0), undefined);
      u.ended = true;
      return;
    }
    stream.on('data', (chunk: Buffer) => feed(u, chunk, stream));
    stream.on('end', () => {
      u.ended = true;
    });
  };

  // Set when the part named `file` begins: later fields are ignored (S3), while text sent as a file
  // part before it (below) may still be finishing.
  let fileArrived = false;
  let pendingTextParts = 0;
  let deferredFile: (() => void) | undefined;

  const onField = (name: string, value: string, info: { nameTruncated: boolean; valueTruncated: boolean }): void => {
    if (failure !== undefined || fileSeen) return;
    if (info.nameTruncated || info.valueTruncated) {
      fail(new S3Error('MaxPostPreDataLengthExceeded', `A form field exceeds ${POST_MAX_FIELD_VALUE_BYTES} bytes.`));
      return;
    }
    preFileBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    if (preFileBytes > POST_MAX_PRE_FILE_BYTES) {
      fail(new S3Error('MaxPostPreDataLengthExceeded'));
      return;
    }
    const ln = name.toLowerCase();
    // A text part named "file" is the content (S3 accepts "file or text content").
    if (ln === 'file') {
      fileArrived = true;
      const text = Buffer.from(value, 'utf8');
      if (pendingTextParts > 0) deferredFile = () => startFile('', undefined, text);
      else startFile('', undefined, text);
      return;
    }
    if (seen.has(ln)) {
      fail(new S3Error('InvalidArgument', `The form field ${name.slice(0, 64)} appears more than once.`));
      return;
    }
    seen.add(ln);
    fields.push([name, value]);
  };
  bb.on('field', (name, value, info) => {
    if (!fileArrived) onField(name, value, info);
  });

  // A form field sent with a filename (Python requests' `files=` does so for every field; S3 takes
  // them as fields) is read as text, bounded like any field. Its end is signalled a tick after the
  // parser moved on, so the `file` part waits, paused, until every such field before it is in.
  const readTextPart = (name: string, stream: Readable): void => {
    pendingTextParts++;
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes <= POST_MAX_FIELD_VALUE_BYTES) chunks.push(chunk);
    });
    stream.on('end', () => {
      pendingTextParts--;
      const truncated = bytes > POST_MAX_FIELD_VALUE_BYTES;
      onField(name, truncated ? '' : Buffer.concat(chunks).toString('utf8'), { nameTruncated: false, valueTruncated: truncated });
      if (pendingTextParts === 0 && deferredFile !== undefined) {
        const start = deferredFile;
        deferredFile = undefined;
        start();
      }
    });
  };

  bb.on('file', (name, stream, info) => {
    // Destroying the parser destroys the open file stream with an error: never let that be unhandled.
    stream.on('error', (err: Error) => fail(malformed(err.message)));
    if (failure !== undefined || fileArrived) {
      stream.resume();
      return;
    }
    if (name.toLowerCase() !== 'file') {
      readTextPart(name, stream);
      return;
    }
    fileArrived = true;
    if (pendingTextParts > 0) {
      stream.pause();
      deferredFile = () => {
        if (failure === undefined) startFile(info.filename ?? '', stream);
        stream.resume(); // paused explicitly above: a 'data' listener alone would not restart it
      };
      return;
    }
    startFile(info.filename ?? '', stream);
  });
  const tooManyParts = (): void => {
    if (!fileSeen) fail(new S3Error('MaxPostPreDataLengthExceeded', `More than ${POST_MAX_FIELDS} form fields precede the file.`));
  };
  bb.on('fieldsLimit', tooManyParts);
  bb.on('partsLimit', tooManyParts);
  bb.on('error', (err: unknown) => fail(malformed(err instanceof Error ? err.message : undefined)));
  bb.on('finish', () => {
    if (failure === undefined) settle.resolve();
  });

  let parserFull = false;
  let drainWaiter: (() => void) | undefined;
  bb.on('drain', () => {
    parserFull = false;
    const w = drainWaiter;
    drainWaiter = undefined;
    w?.();
  });
  const sink: BodySink = {
    write(chunk) {
      if (failure !== undefined) throw failure;
      // The parser keeps references to what it is given; uWS's chunk dies when onData returns.
      const ok = bb.write(Buffer.from(chunk));
      if (failure !== undefined) throw failure;
      if (!ok) parserFull = true;
      return ok;
    },
    onDrain(cb) {
      if (parserFull) drainWaiter = cb;
      else queueMicrotask(cb);
    },
  };
  ctx.body.pipe(sink).then(
    () => {
      if (failure === undefined) bb.end();
    },
    (err: unknown) => fail(err),
  );
  await parsed;

  if (upload === undefined) {
    // Authenticate what was sent before saying what is missing: an unsigned form learns only AccessDenied.
    if (!fileSeen) {
      const form: Record<string, string> = {};
      for (const [n, v] of fields) form[n] = v;
      // An anonymous form must still be one this bucket accepts from anybody.
      if (authenticatePostForm(ctx, form, bucket) === undefined) authorizeAction(ctx, ctx.engine.getBucket(bucket), 's3:PutObject', undefined);
    }
    throw new S3Error('IncorrectNumberOfFilesInPostRequest');
  }
  const u = upload;
  if (!u.ended) throw new Error('form parser finished before the file part ended');
  const data = await u.writer.finish();
  if (data.sizeBytes !== u.receivedBytes) throw new Error(`engine wrote ${data.sizeBytes} bytes but ${u.receivedBytes} were received`);
  if (u.receivedBytes < u.minBytes) {
    throw new S3Error('EntityTooSmall', undefined, { details: { ProposedSize: String(u.receivedBytes), MinSizeAllowed: String(u.minBytes) } });
  }
  const checksums = verifyDigests(u.plan, data, {});
  const req: CommitRequest = { ...u.commit, layout: data.layout, sizeBytes: data.sizeBytes, etag: data.md5Hex, checksums };
  if (Object.keys(checksums).length > 0) req.checksumType = 'FULL_OBJECT';
  await noteObjectOwner(ctx, requireBucket(ctx), req.acl as Acl | undefined);
  const atCommit = requireBucket(ctx);
  const versioning = bucketVersioning(atCommit);
  if (versioning !== undefined) req.versioning = versioning;
  Object.assign(req, lockAtCommit(u.lock, atCommit, Date.now()));
  const meta = await ctx.engine.commitObject(req);

  const etag = quoteEtag(meta.etag);
  const location = objectUrl(ctx, u.key);
  const headers: HeaderList = { ETag: etag, Location: location, ...writtenVersionHeaders(meta) };
  for (const [alg, v] of Object.entries(checksums)) headers[CHECKSUM_HEADERS[alg as keyof typeof CHECKSUM_HEADERS]] = v;
  if (u.redirect !== undefined) {
    const q = `bucket=${encodeURIComponent(u.bucket)}&key=${encodeURIComponent(u.key)}&etag=${encodeURIComponent(etag)}`;
    headers['Location'] = u.redirect + (u.redirect.includes('?') ? '&' : '?') + q;
    ctx.res.send(303, headers, '');
    return;
  }
  if (u.status === 201) {
    const body =
      XML_DECL +
      `<PostResponse><Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(u.bucket)}</Bucket>` +
      `<Key>${xmlEscape(u.key)}</Key><ETag>${xmlEscape(etag)}</ETag></PostResponse>`;
    ctx.res.send(201, { ...headers, 'Content-Type': 'application/xml' }, body);
    return;
  }
  ctx.res.send(u.status, headers, '');
}

/** The object's URL as the client addressed the bucket (path-style /bucket or virtual-hosted /). */
function objectUrl(ctx: RequestContext, key: string): string {
  const host = ctx.headers['host'] ?? '127.0.0.1';
  const base = ctx.rawPath.endsWith('/') ? ctx.rawPath.slice(0, -1) : ctx.rawPath;
  return `http://${host}${base}/${uriEncode(key, false)}`;
}
