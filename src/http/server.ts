// The uWS front end. A request reads top-down in one sitting:
//   copy everything off the stack-allocated HttpRequest (sync) → register onAborted/onData (sync)
//   → health/metrics → limits → route → authenticate → admission → operation → one log line.
// Every failure becomes an S3 error from the catalog; nothing thrown here can take the node down.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../store/api.js';
import type { ServerConfig } from '../config.js';
import { IdentityStore, type IdentityLookup } from '../auth/identities.js';
import { loadIdentityStore } from '../auth/identities-file.js';
import type { Logger } from '../observe/log.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { Health } from '../observe/health.js';
import { S3Error, renderErrorXml, toS3Error } from '../s3/errors.js';
import { matchRoute, type Scope } from '../s3/router.js';
import { assertObjectKey, decodePathComponent } from '../s3/names.js';
import { authenticateRequest, deferBodyAuth } from '../s3/auth-glue.js';
import { authorizeRequest } from '../s3/policy-handlers.js';
import { applyCorsHeaders } from '../s3/cors-handlers.js';
import { closeMultipart, multipartLimitsFrom, openMultipart } from '../s3/multipart/handlers.js';
import { LifecycleSweeper } from '../s3/lifecycle-sweeper.js';
import { loadUws, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from './uws.js';
import { BodyError, BodyReader } from './body.js';
import { Responder } from './response.js';
import type { RequestContext } from './context.js';

/** A body this small is read and discarded before an early error, so the client sees the error, not a reset. */
export const EARLY_ERROR_DRAIN_MAX_BYTES = 1024 * 1024;
/**
 * uWS v20.30 parses at most this many request header lines (Host included); a request with more is
 * dropped by the native parser with the connection closed and no response. Not configurable at
 * runtime; it caps x-amz-meta-* headers at roughly 35 next to an SDK's own headers.
 */
export const UWS_MAX_REQUEST_HEADERS = 48;
/** An upload the engine keeps paused this long is shed with SlowDown even if the budget is not spent. */
export const ENGINE_STALL_MAX_MS = 120_000;
/** A streamed response waiting this long for a writable event gets its write retried by the sweep. */
export const WRITE_KICK_MS = 1000;
/** How often the idle sweep runs; idle timeouts are accurate to this. */
export const IDLE_SWEEP_MS = 250;
/** uWS ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT (a const enum in its typings, so not importable as a value). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

export interface ServerDeps {
  /** A promise while the engine is still opening (recovery): the node listens, live=200, ready=503, S3 → 503. */
  engine: Engine | Promise<Engine>;
  config: ServerConfig;
  log: Logger;
  identities?: IdentityLookup;
  metrics?: Metrics;
}

export interface StrataServer {
  readonly port: number;
  readonly health: Health;
  readonly metrics: Metrics;
  /** Readiness → 503, stop accepting, wait for in-flight requests (up to shutdownGraceMs). */
  drain(): Promise<void>;
  /** drain() then close every socket. Does not close the engine (its owner does). */
  close(): Promise<void>;
  /** The bucket lifecycle sweeper, once the engine is open (undefined with --lifecycle-interval-ms 0). */
  readonly lifecycle: LifecycleSweeper | undefined;
}

/** Requests waiting for a slot beyond maxInFlightRequests; 503 SlowDown after admissionWaitMs. */
class Admission {
  inFlight = 0;
  private waiters: { resolve: () => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }[] = [];
  constructor(private readonly max: number, private readonly waitMs: number) {}

  acquire(): Promise<void> | undefined {
    if (this.inFlight < this.max) {
      this.inFlight++;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new S3Error('SlowDown'));
        }, this.waitMs),
      };
      this.waiters.push(w);
    });
  }

  release(): void {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(); // the slot passes to the waiter
    } else {
      this.inFlight--;
    }
  }
}

interface Live {
  ctx: RequestContext;
  lastActivityMs: number;
  timedOut: boolean;
}

function parseQuery(raw: string): Map<string, string> {
  const q = new Map<string, string>();
  if (raw === '') return q;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq >= 0 ? part.slice(0, eq) : part;
    const v = eq >= 0 ? part.slice(eq + 1) : '';
    let dk: string;
    let dv: string;
    try {
      dk = decodeURIComponent(k.replace(/\+/g, ' '));
      dv = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      throw new S3Error('InvalidURI', "Couldn't parse the query string (bad percent-encoding or invalid UTF-8).");
    }
    if (!q.has(dk)) q.set(dk, dv);
  }
  return q;
}

/** The root pair from the environment plus the --identities-file users. Throws IdentitiesFileError. */
export function identityStoreFromConfig(config: ServerConfig): Promise<IdentityStore> {
  const root = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, displayName: config.accessKeyId };
  return config.identitiesFile === '' ? Promise.resolve(IdentityStore.fromConfig(root)) : loadIdentityStore(root, config.identitiesFile);
}

export async function startServer(deps: ServerDeps): Promise<StrataServer> {
  const uws = loadUws();
  const { config, log } = deps;
  let engine: Engine | undefined = deps.engine instanceof Promise ? undefined : deps.engine;
  const limits = config.limits;
  const identities = deps.identities ?? (await identityStoreFromConfig(config));
  const metrics = deps.metrics ?? createMetrics(() => engine);
  const health = new Health();
  const admission = new Admission(limits.maxInFlightRequests, limits.admissionWaitMs);
  const live = new Set<Live>();
  const hostId = randomBytes(24).toString('base64');
  const reqIdPrefix = randomBytes(3).toString('hex').toUpperCase();
  let reqCounter = 0;
  const domain = config.domain.toLowerCase();
  // Framing overhead of aws-chunked (chunk headers, signatures, trailers) on top of the payload limit.
  const maxBodyBytes = limits.maxObjectSizeBytes + Math.ceil(limits.maxObjectSizeBytes / 8) + 1024 * 1024;
  let drainWaiter: (() => void) | undefined;

  const app: TemplatedApp = uws.App();

  function finish(l: Live, ctx: RequestContext): void {
    if (!live.delete(l)) return;
    metrics.inFlightRequests.dec();
    const ms = performance.now() - ctx.startMs;
    const status = ctx.res.status || (ctx.aborted ? 499 : 0);
    if (requestLines) logRequestLine(ctx, status, ms);
    metrics.observeRequest(ctx.op, status, ms / 1000, ctx.bytesIn, ctx.res.bytesOut);
    if (live.size === 0 && drainWaiter) drainWaiter();
  }

  /** One access-log line per request at info; at warn and above (benchmarks) not even built. */
  const requestLines = log.isLevelEnabled('info');
  function logRequestLine(ctx: RequestContext, status: number, ms: number): void {
    const line: Record<string, unknown> = {
      reqId: ctx.reqId,
      op: ctx.op,
      method: ctx.method,
      status,
      bytesIn: ctx.bytesIn,
      bytesOut: ctx.res.bytesOut,
      ms: Math.round(ms * 1000) / 1000,
    };
    if (ctx.bucket !== undefined) line['bucket'] = ctx.bucket;
    if (ctx.key !== undefined) line['key'] = ctx.key;
    if (ctx.errorCode !== undefined) line['errorCode'] = ctx.errorCode;
    if (ctx.aborted) line['aborted'] = true;
    line['remote'] = ctx.remoteAddress;
    log.info(line, 'request');
  }

  function runCleanups(ctx: RequestContext): void {
    const c = ctx.cleanups.splice(0);
    for (const f of c) {
      try {
        f();
      } catch (err) {
        log.warn({ err, reqId: ctx.reqId }, 'cleanup failed');
      }
    }
  }

  async function sendError(ctx: RequestContext, err: unknown): Promise<void> {
    if (err instanceof BodyError) {
      err =
        err.reason === 'too-large'
          ? new S3Error('EntityTooLarge')
          : new S3Error('RequestTimeout', err.reason === 'aborted' ? 'The client closed the connection.' : undefined);
    }
    const { error, internal } = toS3Error(err, { ...(ctx.bucket !== undefined ? { bucket: ctx.bucket } : {}), ...(ctx.key !== undefined ? { key: ctx.key } : {}) });
    if (internal) log.error({ err, reqId: ctx.reqId, op: ctx.op }, 'internal error');
    else if (ctx.res.started && !ctx.res.finished && !ctx.aborted) log.warn({ err, reqId: ctx.reqId, op: ctx.op }, 'failed mid-response: closing the connection');
    ctx.errorCode = error.code;
    runCleanups(ctx);
    if (ctx.aborted || ctx.res.finished) return;
    if (ctx.res.started) {
      // Mid-body failure: the status line is out; only a cut connection tells the client.
      ctx.res.res.close();
      return;
    }
    let close = false;
    if (!ctx.body.complete) {
      const declared = Number(ctx.headers['content-length'] ?? NaN);
      const left = Number.isFinite(declared) ? declared - ctx.body.receivedBytes : Infinity;
      if (left <= EARLY_ERROR_DRAIN_MAX_BYTES && error.code !== 'RequestTimeout' && error.code !== 'EntityTooLarge') {
        await ctx.body.drainRest();
        if (ctx.aborted) return;
      } else {
        close = true;
      }
    }
    if (ctx.method === 'HEAD') {
      ctx.res.sendHeadersOnly(error.status, error.headers, undefined, close);
    } else {
      ctx.res.send(error.status, { 'Content-Type': 'application/xml', ...error.headers }, renderErrorXml(error, ctx.rawPath, ctx.reqId), close);
    }
  }

  /** Unauthenticated endpoints: only when the request carries no S3 credentials (a bucket may be named "metrics"). */
  function localEndpoint(ctx: RequestContext): boolean {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
    if (ctx.rawPath !== '/health/live' && ctx.rawPath !== '/health/ready' && ctx.rawPath !== '/metrics') return false;
    if (ctx.headers['authorization'] !== undefined || /(^|&)(X-Amz-Signature|Signature)=/.test(ctx.rawQuery)) return false;
    return true;
  }

  async function serveLocal(ctx: RequestContext): Promise<void> {
    if (ctx.rawPath === '/metrics') {
      ctx.op = 'Metrics';
      const text = await metrics.render();
      ctx.res.send(200, { 'Content-Type': metrics.contentType }, ctx.method === 'HEAD' ? '' : text);
      return;
    }
    ctx.op = ctx.rawPath === '/health/live' ? 'HealthLive' : 'HealthReady';
    const ok = ctx.op === 'HealthLive' ? health.live : health.ready;
    const body: Record<string, unknown> = { status: ok ? 'ok' : health.phase };
    if (ctx.op === 'HealthReady' && engine) {
      // Operators read drive state here: a degraded node is still ready (reads reconstruct), but says so.
      const durability = engine.scrubStats?.();
      body['drives'] = durability
        ? durability.drives.map((d) => ({ index: d.index, path: d.path, state: d.state, reason: d.reason, rebuild: d.rebuild }))
        : engine.stats().drives.map((d) => ({ index: d.index, path: d.path, state: d.online ? 'online' : 'offline' }));
      if (durability) body['scrub'] = { running: durability.running, passesCompleted: durability.passesCompleted, totals: durability.totals, healQueued: durability.heal.queued };
    }
    ctx.res.send(ok ? 200 : 503, { 'Content-Type': 'application/json' }, JSON.stringify(body));
  }

  /** Path-style or virtual-hosted-style (Host: bucket.<domain>) → scope, bucket, key. */
  function resolveTarget(ctx: RequestContext): { scope: Scope; vhostBucket?: string } {
    let vhostBucket: string | undefined;
    if (domain !== '') {
      const host = (ctx.headers['host'] ?? '').toLowerCase().replace(/:\d+$/, '');
      if (host.endsWith('.' + domain)) vhostBucket = host.slice(0, -(domain.length + 1));
    }
    const path = ctx.rawPath;
    if (!path.startsWith('/')) throw new S3Error('InvalidURI');
    if (vhostBucket !== undefined) {
      ctx.bucket = vhostBucket;
      const rawKey = path.slice(1);
      if (rawKey === '') return { scope: 'bucket', vhostBucket };
      ctx.key = decodePathComponent(rawKey);
      return { scope: 'object', vhostBucket };
    }
    const rest = path.slice(1);
    if (rest === '') return { scope: 'service' };
    const slash = rest.indexOf('/');
    const rawBucket = slash < 0 ? rest : rest.slice(0, slash);
    ctx.bucket = decodePathComponent(rawBucket);
    const rawKey = slash < 0 ? '' : rest.slice(slash + 1);
    if (rawKey === '') return { scope: 'bucket' };
    ctx.key = decodePathComponent(rawKey);
    return { scope: 'object' };
  }

  async function handle(l: Live, ctx: RequestContext): Promise<void> {
    let admitted = false;
    try {
      if (localEndpoint(ctx)) {
        await serveLocal(ctx);
        return;
      }
      if (health.phase !== 'serving') {
        ctx.res.closeConnection = health.phase !== 'starting';
        throw new S3Error('ServiceUnavailable', health.phase === 'starting' ? 'The node is starting.' : 'The node is shutting down.');
      }
      if (live.size > limits.maxConnections) {
        metrics.admissionRejected.inc();
        throw new S3Error('SlowDown', 'Too many concurrent requests.');
      }
      (ctx.query as Map<string, string>).clear();
      for (const [k, v] of parseQuery(ctx.rawQuery)) (ctx.query as Map<string, string>).set(k, v);
      const target = resolveTarget(ctx);
      // Before routing and authentication, so error responses carry the CORS headers too (as S3's do).
      if (ctx.headers['origin'] !== undefined) applyCorsHeaders(ctx);
      const m = matchRoute(ctx.method, target.scope, ctx.query, ctx.headers);
      if ('methodNotAllowed' in m) {
        ctx.op = 'Unknown';
        ctx.auth = authenticateRequest(ctx, identities, target.vhostBucket);
        authorizeRequest(ctx);
        throw new S3Error('MethodNotAllowed', undefined, { details: { Method: ctx.method, ResourceType: target.scope.toUpperCase() } });
      }
      ctx.op = m.route.op;
      // POST Object: the credentials are form fields; the handler authenticates after parsing them.
      // A CORS preflight is never signed: its answer depends only on the bucket's rules.
      // Everything else: who is asking (authenticate), then may they (the bucket policy, if any).
      if (m.route.authInBody) ctx.auth = deferBodyAuth(identities);
      else if (m.route.unauthenticated) ctx.auth = { payloadMode: 'unsigned' };
      else {
        ctx.auth = authenticateRequest(ctx, identities, target.vhostBucket);
        authorizeRequest(ctx);
      }
      if (ctx.key !== undefined) assertObjectKey(ctx.key, limits.maxKeyBytes);
      const wait = admission.acquire();
      if (wait) {
        try {
          await wait;
        } catch (err) {
          metrics.admissionRejected.inc();
          throw err;
        }
      }
      admitted = true;
      if (ctx.aborted) return;
      await m.route.handler(ctx);
      if (!ctx.res.finished && !ctx.aborted) throw new Error(`handler for ${ctx.op} returned without responding`);
    } catch (err) {
      try {
        await sendError(ctx, err);
      } catch (err2) {
        log.error({ err: err2, reqId: ctx.reqId }, 'failed to send an error response');
        if (!ctx.aborted) ctx.res.res.close();
      }
    } finally {
      if (admitted) admission.release();
      if (!ctx.body.complete && !ctx.aborted && ctx.res.finished) ctx.body.discard();
      finish(l, ctx);
    }
  }

  function onRequest(res: HttpResponse, req: HttpRequest): void {
    // Everything off `req` now: it is stack-allocated and dies at the first await.
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const rawPath = req.getUrl();
    const rawQuery = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    let headerBytes = 0;
    req.forEach((k, v) => {
      headerBytes += k.length + v.length + 4;
      const prev = headers[k];
      headers[k] = prev === undefined ? v : prev + ',' + v;
    });
    const reqId = reqIdPrefix + (++reqCounter).toString(16).toUpperCase().padStart(10, '0');
    const l: Live = { ctx: undefined as unknown as RequestContext, lastActivityMs: performance.now(), timedOut: false };
    const touch = (): void => {
      l.lastActivityMs = performance.now();
    };
    const responder = new Responder(res, [['x-amz-request-id', reqId], ['x-amz-id-2', hostId], ['Server', 'Strata']], touch);
    const cl = headers['content-length'];
    const hasBody = headers['transfer-encoding'] !== undefined || (cl !== undefined && cl.trim() !== '0');
    const body = new BodyReader(res, touch, maxBodyBytes, hasBody);
    const ctx: RequestContext = {
      reqId,
      startMs: l.lastActivityMs,
      method,
      rawPath,
      rawQuery,
      query: new Map(),
      headers,
      remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString('latin1'),
      engine: engine as Engine, // only used once serving, when it is set
      identities,
      config,
      log,
      res: responder,
      body,
      op: 'Unknown',
      bytesIn: 0,
      aborted: false,
      cleanups: [],
    };
    l.ctx = ctx;
    res.onAborted(() => {
      ctx.aborted = true;
      responder.markAborted();
      body.fail(new BodyError('aborted', 'client disconnected'));
      body.releaseWaiters();
      runCleanups(ctx);
    });
    body.start();
    live.add(l);
    metrics.inFlightRequests.inc();

    if (headerBytes > limits.maxHeaderBytes) {
      ctx.op = 'Rejected';
      void sendError(ctx, new S3Error('RequestHeaderSectionTooLarge', undefined, { details: { MaxSizeAllowed: String(limits.maxHeaderBytes) } })).finally(() => finish(l, ctx));
      return;
    }
    if (rawPath.length + rawQuery.length > limits.maxUrlBytes) {
      ctx.op = 'Rejected';
      void sendError(ctx, new S3Error('InvalidURI', `The request URL exceeds ${limits.maxUrlBytes} bytes.`)).finally(() => finish(l, ctx));
      return;
    }
    void handle(l, ctx);
  }

  app.any('/*', (res, req) => {
    try {
      onRequest(res, req);
    } catch (err) {
      // Only reachable through a bug in the synchronous prologue; never let it escape into uWS.
      log.error({ err }, 'request prologue failed');
      try {
        res.cork(() => res.writeStatus('500 Internal Server Error').end('', true));
      } catch {
        /* already aborted */
      }
    }
  });

  function budgetExhausted(): boolean {
    if (!engine) return false;
    try {
      return engine.stats().inFlightBytes >= engine.config.inFlightBudgetBytes;
    } catch {
      return false;
    }
  }

  // Idle sweep: a request waiting on the client (body bytes, or a reader that stopped reading) for
  // idleTimeoutMs gets RequestTimeout and its connection closed; waiting on the engine is not idle.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const l of live) {
      const ctx = l.ctx;
      if (l.timedOut || ctx.aborted) continue;
      const pausedMs = ctx.body.drainWaitSinceMs > 0 ? now - ctx.body.drainWaitSinceMs : 0;
      if (pausedMs > limits.admissionWaitMs && !ctx.res.started && (budgetExhausted() || pausedMs > ENGINE_STALL_MAX_MS)) {
        // The engine kept this upload paused for too long with the node-wide in-flight budget spent
        // (or stalled outright): shed it. A writer paused only by its own pipeline depth is just slow
        // disk and keeps waiting.
        l.timedOut = true;
        metrics.admissionRejected.inc();
        log.warn({ reqId: ctx.reqId, op: ctx.op, pausedMs: Math.round(pausedMs) }, 'upload paused by the engine too long: 503 SlowDown');
        const err = new S3Error('SlowDown', 'The node is over its in-flight byte budget; retry later.');
        ctx.body.fail(err);
        void sendError(ctx, err);
        continue;
      }
      const waitingOnClient = (ctx.body.awaitingClient && !ctx.res.started) || ctx.res.waitingWritable;
      if (!waitingOnClient) {
        l.lastActivityMs = Math.max(l.lastActivityMs, now - IDLE_SWEEP_MS);
        continue;
      }
      if (ctx.res.waitingWritable && now - l.lastActivityMs >= WRITE_KICK_MS) {
        const before = ctx.res.kicks;
        ctx.res.kick();
        if (ctx.res.kicks !== before) log.debug({ reqId: ctx.reqId, waitedMs: Math.round(now - l.lastActivityMs) }, 'retried a pending response write');
      }
      if (now - l.lastActivityMs < limits.idleTimeoutMs) continue;
      l.timedOut = true;
      ctx.errorCode = 'RequestTimeout';
      log.warn({ reqId: ctx.reqId, op: ctx.op, idleMs: Math.round(now - l.lastActivityMs) }, 'request idle too long: RequestTimeout');
      runCleanups(ctx);
      if (ctx.res.started) {
        ctx.res.res.close();
        continue;
      }
      const e = new BodyError('timeout', 'idle timeout');
      ctx.body.fail(e);
      const err = new S3Error('RequestTimeout');
      ctx.res.send(err.status, { 'Content-Type': 'application/xml' }, renderErrorXml(err, ctx.rawPath, ctx.reqId), true);
    }
  }, IDLE_SWEEP_MS);
  sweep.unref();

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    // Exclusive: uWS otherwise sets SO_REUSEPORT, and a second node started on the same port would
    // silently take half of the connections.
    const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (s: us_listen_socket | false) => void) => void;
    listen.call(app, config.address, config.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (s) => {
      if (s) resolve(s);
      else reject(new Error(`cannot listen on ${config.address}:${config.port} (address in use or not permitted)`));
    });
  });
  const port = uws.us_socket_local_port(listenSocket as never);
  // Multipart opens with the engine, not on the first multipart request: it settles completions a
  // crash interrupted and starts the sweeper of abandoned uploads even on a node nobody uploads to.
  let lifecycle: LifecycleSweeper | undefined;
  let closing = false;
  const openServices = async (e: Engine): Promise<void> => {
    const uploads = await openMultipart(e, multipartLimitsFrom(config));
    // Lifecycle expiration runs in the background, off the request path (src/s3/lifecycle-sweeper.ts).
    const lc = config.lifecycle;
    if (lc !== undefined && lc.intervalMs > 0 && !closing) {
      lifecycle = new LifecycleSweeper(e, uploads, {
        ...lc,
        log,
        counters: {
          expiredObjects: (n) => metrics.lifecycleExpiredObjects.inc(n),
          abortedUploads: (n) => metrics.lifecycleAbortedUploads.inc(n),
        },
      });
      lifecycle.start();
    }
  };
  if (engine) {
    await openServices(engine);
    health.phase = 'serving';
  } else {
    (deps.engine as Promise<Engine>)
      .then(async (e) => {
        engine = e;
        await openServices(e);
      })
      .then(
        () => {
          if (health.phase === 'starting') health.phase = 'serving';
        },
        (err: unknown) => log.error({ err }, 'engine or multipart service failed to open; the node stays unready'),
      );
  }
  let listening = true;

  async function drain(): Promise<void> {
    if (health.phase === 'serving' || health.phase === 'starting') health.phase = 'draining';
    if (listening) {
      listening = false;
      uws.us_listen_socket_close(listenSocket);
    }
    if (live.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, limits.shutdownGraceMs);
        drainWaiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  return {
    port,
    health,
    metrics,
    drain,
    get lifecycle() {
      return lifecycle;
    },
    async close() {
      closing = true;
      await drain();
      clearInterval(sweep);
      // Before multipart and the engine: a pass under way stops at its next page.
      await lifecycle?.close();
      for (const l of live) if (!l.ctx.aborted) l.ctx.res.res.close();
      (app as unknown as { close?: () => void }).close?.();
      if (engine) await closeMultipart(engine).catch((err: unknown) => log.warn({ err }, 'closing multipart service failed'));
      health.phase = 'stopped';
    },
  };
}
