// Standalone entry for the benchmark harness (same as `strata bench …`):
//   npm run build && node dist/tools/bench.js run put --endpoint http://127.0.0.1:9000 --access-key K --secret-key S
import { runBenchCli } from '../src/bench/cli.js';

process.exitCode = await runBenchCli(process.argv.slice(2));
