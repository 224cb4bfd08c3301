// pino JSON logs: one line per request (written by the HTTP layer when the request ends), plus
// lifecycle and internal-error lines. Never logs secrets or payloads.

import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'strata' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['secretAccessKey', 'headers.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export interface RequestLogLine {
  reqId: string;
  op: string;
  method: string;
  bucket?: string;
  key?: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  ms: number;
  errorCode?: string;
  aborted?: boolean;
  remote?: string;
}
