// Standalone entry of the admin commands until src/cli.ts routes `strata admin …` here:
//   node dist/src/admin/main.js scrub --data ./data
process.env.UV_THREADPOOL_SIZE ??= '16';
const { runAdminCli } = await import('./cli.js');
process.exitCode = await runAdminCli(process.argv.slice(2));
