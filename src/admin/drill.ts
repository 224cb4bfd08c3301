// `strata admin drill` — placeholder until the drill lands.
export async function runDrillCli(_argv: string[]): Promise<number> {
  process.stderr.write('strata admin drill: not built yet\n');
  return 2;
}
