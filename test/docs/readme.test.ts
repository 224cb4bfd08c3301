// README.md's configuration and limits tables are generated from CONFIG_OPTIONS; a knob added to the
// code without regenerating the README fails here (fix: strata admin config-table, paste between markers).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS, readmeConfigSection } from '../../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('carries the generated configuration and limits tables verbatim', () => {
    const m = /<!-- CONFIG-TABLE:BEGIN[^>]*-->\n([\s\S]*?)\n<!-- CONFIG-TABLE:END -->/.exec(readme);
    expect(m, 'README lacks the CONFIG-TABLE markers').not.toBeNull();
    expect(m![1]).toBe(readmeConfigSection());
    for (const o of CONFIG_OPTIONS) expect(readme).toContain(`\`--${o.flag}\``);
  });

  it('names the test command CI runs', () => {
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toContain('npm ci && npm test');
  });
});
