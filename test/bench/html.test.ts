// The HTML reports render in headless Chromium with every chart drawn (chart instances exist and their
// canvases have non-blank pixels), with no network access: chart.js is inlined.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeCompare, type CompareResult } from '../../src/bench/compare.js';
import { renderCompareHtml, renderRunHtml, renderTuneHtml } from '../../src/bench/report-html.js';
import { createRng } from '../../src/bench/random.js';
import { machineInfo, type BenchResult } from '../../src/bench/runner.js';
import { Recorder } from '../../src/bench/stats.js';
import { pickBest, type TuneResult } from '../../src/bench/tune.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED html rendering tests: ${CHROMIUM} is absent (apt-get install -y chromium)`);

export function fakeRun(seed: number, name = 'fake', scale = 1): BenchResult {
  const rng = createRng(seed);
  const rec = new Recorder(0);
  for (let i = 0; i < 5000; i++) {
    const t = rng() * 5000;
    const lat = Math.exp(1 + rng() * 2) / scale;
    if (rng() < 0.6) rec.ok('get', lat, 4096, t, lat * 0.8);
    else rec.ok('put', lat * 1.5, 4096, t);
  }
  rec.error('put', 'SlowDown', 4000);
  const s = rec.summarize(5000);
  const all = Object.values(s.ops);
  return {
    schema: 'strata-bench-run/1',
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    target: { name, endpoint: 'http://127.0.0.1:9', region: 'us-east-1', pathStyle: true, signed: true },
    workload: { op: 'mixed', size: '4 KiB', concurrency: 16, durationMs: 5000, warmupMs: 0, objects: 100, payloadHash: 'UNSIGNED-PAYLOAD', seed, bucket: 'b', prefix: 'p/' },
    elapsedMs: 5000,
    stoppedBy: 'duration',
    total: { ops: all.reduce((a, x) => a + x.ops, 0), errors: 1, bytes: 0, opsPerSec: 1000 * scale, mibPerSec: 4 },
    ops: s.ops,
    timeline: { seconds: s.seconds, perOp: s.timeline },
    client: { wallMs: 5000, cpuUserMs: 900, cpuSystemMs: 300, cpuPctOfOneCore: 24, cores: 2, cpuPctOfMachine: 12, eventLoopUtilization: 0.2, eventLoopDelayP99Ms: 12, likelyClientBound: false },
    prepare: { objects: 100, elapsedMs: 100 },
    cleanup: { deleted: 100, errors: 0, elapsedMs: 50, bucketDeleted: true, skipped: false },
    notes: ['a <note> with markup'],
  };
}

type Browser = import('playwright-core').Browser;
let browser: Browser | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-html-'));
  if (!haveChromium) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function render(html: string, file: string): Promise<{ charts: number; canvases: number; painted: number[]; errors: string[]; requests: string[] }> {
  const p = path.join(dir, file);
  writeFileSync(p, html);
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1600 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r) => requests.push(r.url()));
  try {
    await page.goto(pathToFileURL(p).href);
    await page.waitForFunction(() => (window as unknown as { __benchChartsReady?: boolean }).__benchChartsReady === true, undefined, { timeout: 15_000 });
    return {
      ...(await page.evaluate(() => {
        const w = window as unknown as { Chart: { instances: Record<string, unknown> } };
        const canvases = [...document.querySelectorAll('canvas')];
        const painted = canvases.map((c) => {
          const ctx = c.getContext('2d')!;
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
          return n;
        });
        return { charts: Object.keys(w.Chart.instances).length, canvases: canvases.length, painted };
      })),
      errors,
      requests,
    };
  } finally {
    await page.close();
  }
}

describe.skipIf(!haveChromium)('HTML reports in headless Chromium', () => {
  it('run report: four charts drawn, markup escaped, no network', async () => {
    const html = renderRunHtml(fakeRun(1));
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('a &lt;note&gt; with markup');
    const r = await render(html, 'run.html');
    expect(r.errors).toEqual([]);
    expect(r.requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(r.canvases).toBe(4);
    expect(r.charts).toBe(4);
    for (const n of r.painted) expect(n).toBeGreaterThan(500);
  });

  it('compare report: charts drawn', async () => {
    const runs = [
      [fakeRun(1, 'a'), fakeRun(2, 'b', 2)],
      [fakeRun(3, 'a'), fakeRun(4, 'b', 2)],
    ];
    const cmp: CompareResult = {
      schema: 'strata-bench-compare/1',
      startedAt: new Date().toISOString(),
      machine: machineInfo(),
      workload: 'mixed 4 KiB c=16',
      rounds: 2,
      targets: [
        { name: 'a', endpoint: 'http://127.0.0.1:1', kind: 'explicit' },
        { name: 'b', endpoint: 'http://127.0.0.1:2', kind: 's3rver' },
      ],
      runs,
      ...summarizeCompare(['a', 'b'], runs),
    };
    const r = await render(renderCompareHtml(cmp), 'compare.html');
    expect(r.errors).toEqual([]);
    expect(r.charts).toBe(3);
    for (const n of r.painted) expect(n).toBeGreaterThan(500);
  });

  it('tune report: one chart per workload, best highlighted', async () => {
    const res = (opsPerSec: number) => ({ opsPerSec, mibPerSec: opsPerSec / 256, p50Ms: 1, p99Ms: 3, errors: 0, clientBound: false });
    const workloads = [
      { name: 'put:4KiB', op: 'put' as const, size: '4KiB' },
      { name: 'get:1MiB', op: 'get' as const, size: '1MiB' },
    ];
    const cells: TuneResult['cells'] = [
      { id: 'workers=1', params: { workers: '1' }, flags: ['--worker-threads', '1'], results: { 'put:4KiB': res(900), 'get:1MiB': res(300) } },
      { id: 'workers=2', params: { workers: '2' }, flags: ['--worker-threads', '2'], results: { 'put:4KiB': res(1200), 'get:1MiB': res(280) } },
    ];
    const tune: TuneResult = {
      schema: 'strata-bench-tune/1',
      startedAt: new Date().toISOString(),
      machine: machineInfo(),
      durationMs: 5000,
      rounds: 1,
      concurrency: 16,
      grid: [{ key: 'workers', flag: '--worker-threads', values: ['1', '2'] }],
      workloads,
      cells,
      best: pickBest(workloads, cells),
      failedCells: 0,
    };
    const html = renderTuneHtml(tune);
    expect(html).toContain('class="best"');
    const r = await render(html, 'tune.html');
    expect(r.errors).toEqual([]);
    expect(r.charts).toBe(2);
    for (const n of r.painted) expect(n).toBeGreaterThan(500);
  });
});
