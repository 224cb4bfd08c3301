// Piscina loads worker modules as compiled JS: tests run the engine from TS sources (vitest), but a
// worker thread cannot. Resolve `<package root>/dist/src/workers/<name>.js` from wherever this module
// lives (src/workers under vitest, dist/src/workers when compiled).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('package root not found from ' + fileURLToPath(import.meta.url));
}

export function workerFile(name: string): string {
  const file = path.join(packageRoot(), 'dist', 'src', 'workers', `${name}.js`);
  if (!existsSync(file)) throw new Error(`worker module ${file} is missing: run \`npm run build\` first`);
  return file;
}
