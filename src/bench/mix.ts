// Operation mix for the `mixed` workload: weights per operation, chosen per request by a seeded RNG.

import type { Rng } from './random.js';

export type MixOp = 'get' | 'put' | 'delete' | 'head' | 'list';
export const MIX_OPS: readonly MixOp[] = ['get', 'put', 'delete', 'head', 'list'];

export interface MixEntry {
  op: MixOp;
  /** Share of all requests, 0..1; the entries of a mix sum to 1. */
  share: number;
}

/** warp's default mixed workload: 45 % GET, 30 % PUT, 15 % DELETE, 10 % STAT (HEAD). */
export const DEFAULT_MIX = 'get=45,put=30,delete=15,head=10';

const ALIASES: Record<string, MixOp> = { get: 'get', put: 'put', delete: 'delete', del: 'delete', head: 'head', stat: 'head', list: 'list' };

/** `get=45,put=30,delete=15,stat=10` → normalised shares. Weights are relative (need not sum to 100). */
export function parseMix(text: string): MixEntry[] {
  const weights = new Map<MixOp, number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*[=:]\s*(\d+(?:\.\d+)?)$/i.exec(part);
    if (!m) throw new Error(`invalid mix entry '${part}' (expected op=weight, e.g. get=45)`);
    const op = ALIASES[m[1]!.toLowerCase()];
    if (!op) throw new Error(`unknown operation '${m[1]}' in mix (use ${Object.keys(ALIASES).join(', ')})`);
    weights.set(op, (weights.get(op) ?? 0) + Number(m[2]));
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error(`mix '${text}' has no positive weight`);
  return MIX_OPS.filter((op) => (weights.get(op) ?? 0) > 0).map((op) => ({ op, share: weights.get(op)! / total }));
}

export function formatMix(mix: MixEntry[]): string {
  return mix.map((e) => `${e.op}=${+(e.share * 100).toFixed(2)}%`).join(', ');
}

/** Picks operations in proportion to their shares: one RNG draw and a scan of ≤ 5 cumulative bounds. */
export class MixSelector {
  private readonly ops: MixOp[];
  private readonly bounds: number[];

  constructor(mix: MixEntry[]) {
    if (mix.length === 0) throw new Error('empty mix');
    this.ops = mix.map((e) => e.op);
    let acc = 0;
    this.bounds = mix.map((e) => (acc += e.share));
    this.bounds[this.bounds.length - 1] = 1; // absorb rounding so every draw in [0, 1) maps to an op
  }

  pick(rng: Rng): MixOp {
    const r = rng();
    for (let i = 0; i < this.bounds.length; i++) if (r < this.bounds[i]!) return this.ops[i]!;
    return this.ops[this.ops.length - 1]!;
  }
}
