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
  /** Times the sweep retried a pending write (see kick()). */
  kicks = 0;
  private pending: { chunk: Uint8Array; base: number; totalBytes: number; settle: (finished: boolean) => void } | undefined;
  private writableRegistered = false;
  private onFinish: (() => void) | undefined;
  /** Headers set before the operation runs that every response carries, errors included (CORS). */
  private extraHeaders: HeaderList | undefined;

  constructor(
    readonly res: HttpResponse,
    /** Headers on every response (x-amz-request-id, x-amz-id-2, Server). */
    private readonly commonHeaders: readonly [string, string][],
    private readonly onActivity: () => void,
  ) {}

  /** Called once from the single onAborted registered by the server. */
  markAborted(): void {
    this.aborted = true;
    const p = this.pending;
    this.pending = undefined;
    p?.settle(false);
  }

  setOnFinish(cb: () => void): void {
    this.onFinish = cb;
  }

  /** Adds headers to whatever response this request ends with; a handler's own header of the same name wins. */
  addHeaders(headers: HeaderList): void {
    this.extraHeaders = { ...this.extraHeaders, ...headers };
  }

  private writeHead(status: number, headers: HeaderList): void {
    this.status = status;
    this.started = true;
    this.res.writeStatus(statusLine(status));
    for (const [k, v] of this.commonHeaders) this.res.writeHeader(k, v);
    if (this.extraHeaders) {
      for (const k in this.extraHeaders) if (!(k in headers)) this.writeOne(k, this.extraHeaders[k]);
    }
    for (const k in headers) this.writeOne(k, headers[k]);
  }

  private writeOne(k: string, v: string | number | undefined): void {
    if (v === undefined) return;
    const text = typeof v === 'number' ? String(v) : v;
    // Values can come from decoded query parameters (response-content-type …) or a request's Origin:
    // never let CR/LF split the header.
    this.res.writeHeader(k, /[\r\n\0]/.test(text) ? text.replace(/[\r\n\0]/g, ' ') : text);
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

  /**
   * ONE onWritable handler per response, registered the first time a write is left pending. uWS
   * 20.30 restores the handler it was running after the callback returns (callOnWritable borrows it),
   * so a handler registered from inside the callback — which happens when settling a write resolves
   * promises that already send the next chunk — would be silently replaced by the stale one. The
   * handler therefore never changes; it serves whatever write is pending now.
   */
  private readonly onWritable = (offset: number): boolean => {
    const p = this.pending;
    if (!p || this.aborted) return true;
    this.onActivity();
    let ok = false;
    let finished = false;
    this.res.cork(() => {
      [ok, finished] = this.res.tryEnd(p.chunk.subarray(offset - p.base), p.totalBytes);
    });
    if (ok || finished) {
      if (this.pending === p) this.pending = undefined;
      p.settle(finished);
    }
    return ok;
  };

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
      this.pending = { chunk, base, totalBytes, settle };
      if (!this.writableRegistered) {
        this.writableRegistered = true;
        this.res.onWritable(this.onWritable);
      }
    });
  }

  /**
   * Retries the pending write without waiting for uWS's writable event (the sweep calls it when a
   * streamed response has waited a while): if the socket takes bytes they go out, and a partial
   * write re-arms the writable poll; if not, nothing changes. A safety net, not the normal path.
   */
  kick(): void {
    if (this.pending && !this.aborted && !this.finished) {
      this.kicks++;
      this.onWritable(this.res.getWriteOffset());
    }
  }

}
