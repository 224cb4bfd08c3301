// Loads uWebSockets.js's native binary directly. The package's own entry (src/uws.js) silently
// falls back to a slow pure-JS server when the binary does not load; a storage node must refuse
// to start instead, with a message that says which file and why.

import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
export type UwsModule = typeof UWS;

let cached: UwsModule | undefined;

export function loadUws(): UwsModule {
  if (cached) return cached;
  const file = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    cached = createRequire(import.meta.url)(file) as UwsModule;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Cannot load the uWebSockets.js native binary '${file}' (platform ${process.platform}, arch ${process.arch}, ` +
        `Node ABI ${process.versions.modules}, Node ${process.version}): ${reason}. ` +
        'Strata does not fall back to a JavaScript HTTP server; install a uWebSockets.js build for this platform.',
      { cause: err },
    );
  }
  return cached;
}
