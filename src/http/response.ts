// Writing responses on uWS from async code: every multi-call response is corked, nothing is
// touched after onAborted, and streamed bodies respect backpressure (tryEnd/onWritable) so a slow
// reader holds at most one engine chunk in memory.

import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from './uws.js';

export type HeaderList = Record<string, string | number | undefined>;

const statusLines = new Map<number, string>();
function statusLine(status: number): string {
  let s = statusLines.get(status);
  if (!s) {
    s = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, s);
  }
  return s;
}

export class Responder {
  aborted = false;
  /** Status line written (headers may be on the wire). */
  started = false;
  finished = false;
  status = 0;
  bytesOut = 0;
  /** Close the connection after this response (set while the node drains, so keep-alive clients move on). */
  closeConnection = false;
  /** True while a streamed body waits for the client to read (onWritable): the idle timer applies. */
  waitingWritable = false;
  private abortWaiters: (() => void)[] = [];
  private onFinish: (() => void) | undefined;

  constructor(
    readonly res: HttpResponse,
    /** Headers on every response (x-amz-request-id, x-amz-id-2, Server). */
    private readonly commonHeaders: readonly [string, string][],
    private readonly onActivity: () => void,
  ) {}

  /** Called once from the single onAborted registered by the server. */
  markAborted(): void {
    this.aborted = true;
    const w = this.abortWaiters;
    this.abortWaiters = [];
    for (const f of w) f();
  }

  setOnFinish(cb: () => void): void {
    this.onFinish = cb;
  }

  private writeHead(status: number, headers: HeaderList): void {
    this.status = status;
    this.started = true;
    this.res.writeStatus(statusLine(status));
    for (const [k, v] of this.commonHeaders) this.res.writeHeader(k, v);
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      const text = typeof v === 'number' ? String(v) : v;
      // Values can come from decoded query parameters (response-content-type …): never let CR/LF split the header.
      this.res.writeHeader(k, /[\r\n\0]/.test(text) ? text.replace(/[\r\n\0]/g, ' ') : text);
    }
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish?.();
  }

  /** Whole response in one corked write. `close` ends the connection (used when a body is left unread). */
  send(status: number, headers: HeaderList, body: string | Uint8Array = '', close = false): void {
    if (this.aborted || this.finished) return;
    this.res.cork(() => {
      this.writeHead(status, headers);
      this.res.end(body, close || this.closeConnection);
    });
    this.bytesOut += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    this.done();
  }

  /**
   * Headers only: HEAD, 304. contentLength is what a GET would have sent. uWS 20.30's
   * endWithoutBody(n) closes the connection, so Content-Length is written as a plain header.
   */
  sendHeadersOnly(status: number, headers: HeaderList, contentLength?: number, close = false): void {
    if (this.aborted || this.finished) return;
    this.res.cork(() => {
      this.writeHead(status, headers);
      if (contentLength !== undefined) this.res.writeHeader('Content-Length', String(contentLength));
      if (close || this.closeConnection) this.res.end('', true);
      else this.res.endWithoutBody();
    });
    this.done();
  }

  /**
   * Streams `totalBytes` from `chunks` with Content-Length framing. Each chunk stays referenced (and
   * the iterator is not advanced) until uWS has taken all of it, so memory per response is one chunk.
   */
  async stream(status: number, headers: HeaderList, totalBytes: number, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.aborted || this.finished) return;
    const it = chunks[Symbol.asyncIterator]();
    let headWritten = false;
    try {
      if (totalBytes === 0) {
        this.send(status, headers, '');
        return;
      }
      let sent = 0;
      while (!this.aborted) {
        const r = await it.next();
        if (this.aborted) break;
        if (r.done) {
          // Fewer bytes than the metadata said: the finally below cuts the connection so the
          // client sees a short body rather than a silently truncated object.
          if (sent !== totalBytes) throw new Error(`object stream ended after ${sent} of ${totalBytes} bytes`);
          break;
        }
        const chunk = r.value;
        if (chunk.byteLength === 0) continue;
        const base = sent;
        let ok = false;
        let finished = false;
        this.res.cork(() => {
          if (!headWritten) {
            this.writeHead(status, headers);
            headWritten = true;
          }
          [ok, finished] = this.res.tryEnd(chunk, totalBytes);
        });
        this.onActivity();
        if (!ok && !finished) {
          // uWS took part of the chunk; the rest goes out from onWritable as the socket drains.
          finished = await this.waitWritable(chunk, base, totalBytes);
        }
        sent += chunk.byteLength;
        this.bytesOut = sent;
        if (finished) {
          this.done();
          break;
        }
      }
    } finally {
      if (!this.finished && !this.aborted && headWritten) {
        // Iteration threw mid-body: the status line is out, so the only honest signal is a cut connection.
        this.res.close();
        this.done();
      }
      await it.return?.();
    }
  }

  private waitWritable(chunk: Uint8Array, base: number, totalBytes: number): Promise<boolean> {
    this.waitingWritable = true;
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const settle = (finished: boolean): void => {
        if (settled) return;
        settled = true;
        this.waitingWritable = false;
        resolve(finished);
      };
      this.abortWaiters.push(() => settle(false));
      this.res.onWritable((offset) => {
        if (this.aborted) return true;
        this.onActivity();
        const from = offset - base;
        let ok = false;
        let finished = false;
        this.res.cork(() => {
          [ok, finished] = this.res.tryEnd(chunk.subarray(from), totalBytes);
        });
        if (ok || finished) settle(finished);
        return ok;
      });
    });
  }
}
