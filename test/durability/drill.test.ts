// The fault drill in its short CI configuration: a real node process, kill -9 under load, bit rot on a
// drive, a wiped drive, an interrupted compaction — nothing acknowledged may be lost.
import { describe, expect, it } from 'vitest';
import { renderDrill, runDrill } from '../../src/admin/drill.js';

describe('admin drill', () => {
  it('passes in its short configuration', async () => {
    const { rows, ok } = await runDrill({ objects: 40, maxObjectBytes: 400_000, flips: 100, seed: 7 });
    const table = renderDrill(rows);
    expect(ok, table).toBe(true);
    expect(rows.map((r) => r.fault)).toEqual([
      'none (baseline)',
      'kill -9 under load',
      'byte flips on drive 2 (degraded reads)',
      'byte flips on drive 2 (after scrub)',
      'drive 4 wiped (rebuilt)',
      'drives 5+6 away (rebuilt drive 4 in use)',
      'compaction killed by kill -9',
      'compaction finished after the kill',
    ]);
    // (The node heals what its GETs meet, so how much is left for the offline scrub varies.)
    expect(rows.find((r) => r.fault === 'drive 4 wiped (rebuilt)')!.repaired).toBeGreaterThan(0);
  }, 120_000);
});
