// Streaming request bodies off uWS. uWS hands each chunk as an ArrayBuffer that dies when the
// callback returns, so a chunk is either passed straight to a sink that copies synchronously
// (the engine's writer) or copied once into a small holding queue until the sink is attached.
// Backpressure both ways: a sink returning false pauses the socket until its onDrain.

import { performance } from 'node:perf_hooks';
import type { HttpResponse } from './uws.js';

export interface BodySink {
  /** Must consume `chunk` synchronously (copy it); false = stop feeding until the drain callback. */
  write(chunk: Uint8Array): boolean;
  onDrain(callback: () => void): void;
}

/** Bytes held before a sink is attached; past this the socket is paused. */
export const BODY_HOLD_MAX_BYTES = 256 * 1024;

export class BodyError extends Error {
  constructor(readonly reason: 'aborted' | 'timeout' | 'too-large', message: string) {
    super(message);
    this.name = 'BodyError';
  }
}

export class BodyReader {
  receivedBytes = 0;
  /** uWS delivered the last chunk. */
  complete = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private sink: BodySink | undefined;
  private paused = false;
  private waitingDrain = false;
  private failure: unknown;
  private discarding = false;
  private settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private started = false;
  private completeWaiters: (() => void)[] = [];

  constructor(
    private readonly res: HttpResponse,
    private readonly onActivity: () => void,
    private readonly maxBytes: number,
    /** False when the headers say there is no body (no Content-Length/Transfer-Encoding, or length 0). */
    hasBody = true,
  ) {
    if (!hasBody) this.complete = true;
  }

  /** Must be called synchronously inside the uWS handler. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.res.onData((ab, isLast) => this.onChunk(ab, isLast));
  }

  private onChunk(ab: ArrayBuffer, isLast: boolean): void {
    this.onActivity();
    const len = ab.byteLength;
    this.receivedBytes += len;
    if (isLast) {
      this.complete = true;
      const w = this.completeWaiters;
      this.completeWaiters = [];
      for (const f of w) f();
    }
    if (this.discarding || this.failure !== undefined) return;
    if (this.receivedBytes > this.maxBytes) {
      this.fail(new BodyError('too-large', `body exceeds ${this.maxBytes} bytes`));
      return;
    }
    if (this.sink && this.held.length === 0 && !this.waitingDrain) {
      if (len > 0) {
        let ok: boolean;
        try {
          ok = this.sink.write(new Uint8Array(ab));
        } catch (err) {
          this.fail(err);
          return;
        }
        if (!ok) this.waitForDrain();
      }
      if (isLast && !this.waitingDrain) this.finish();
      return;
    }
    if (len > 0) {
      this.held.push(Buffer.from(ab.slice(0)));
      this.heldBytes += len;
      if (this.heldBytes >= BODY_HOLD_MAX_BYTES) this.pause();
    }
    if (this.sink && !this.waitingDrain) this.flushHeld();
  }

  private pause(): void {
    if (!this.paused && !this.complete) {
      this.paused = true;
      this.res.pause();
    }
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.res.resume();
    }
  }

  /** performance.now() when the sink last asked us to wait (engine over its in-flight budget); 0 = not waiting. */
  drainWaitSinceMs = 0;

  private waitForDrain(): void {
    this.waitingDrain = true;
    this.drainWaitSinceMs = performance.now();
    this.pause();
    this.sink!.onDrain(() => {
      if (!this.waitingDrain) return;
      this.waitingDrain = false;
      this.drainWaitSinceMs = 0;
      this.onActivity();
      this.flushHeld();
    });
  }

  private flushHeld(): void {
    while (this.held.length > 0 && this.failure === undefined) {
      const b = this.held.shift()!;
      this.heldBytes -= b.length;
      let ok: boolean;
      try {
        ok = this.sink!.write(b);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (!ok) {
        this.waitForDrain();
        return;
      }
    }
    if (this.failure !== undefined) return;
    if (this.complete) this.finish();
    else this.resume();
  }

  private finish(): void {
    const s = this.settle;
    this.settle = undefined;
    s?.resolve();
  }

  /** Feeds the whole body to `sink`; resolves after the last byte was written to it. */
  pipe(sink: BodySink): Promise<void> {
    if (this.sink) throw new Error('BodyReader.pipe called twice');
    this.start();
    this.sink = sink;
    return new Promise<void>((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      this.settle = { resolve, reject };
      this.flushHeld();
    });
  }

  /** Collects the whole body (small XML bodies only; maxBytes was enforced by the constructor's limit). */
  async readAll(limitBytes: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let n = 0;
    await this.pipe({
      write: (chunk) => {
        n += chunk.byteLength;
        if (n > limitBytes) throw new BodyError('too-large', `body exceeds ${limitBytes} bytes`);
        parts.push(Buffer.from(chunk));
        return true;
      },
      onDrain: () => {},
    });
    return Buffer.concat(parts, n);
  }

  /** Client went away, timed out, or the consumer gave up: release held chunks, reject the pipe. */
  fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.held = [];
    this.heldBytes = 0;
    this.discarding = true;
    const s = this.settle;
    this.settle = undefined;
    s?.reject(err);
    this.releaseWaiters();
  }

  /** True while progress depends on the client sending more bytes (not paused by us). */
  get awaitingClient(): boolean {
    return !this.complete && !this.paused;
  }

  /** Discard the rest of the body and resolve once uWS delivered its last chunk (or the request died). */
  drainRest(): Promise<void> {
    this.discard();
    if (this.complete) return Promise.resolve();
    return new Promise<void>((resolve) => this.completeWaiters.push(resolve));
  }

  /** Wakes drainRest() waiters when the request is aborted. */
  releaseWaiters(): void {
    const w = this.completeWaiters;
    this.completeWaiters = [];
    for (const f of w) f();
  }

  /** The response no longer needs the body: drop what arrives (keeps the socket readable). */
  discard(): void {
    this.discarding = true;
    this.held = [];
    this.heldBytes = 0;
    this.waitingDrain = false;
    this.drainWaitSinceMs = 0;
    this.resume();
  }
}
