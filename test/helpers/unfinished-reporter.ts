// A vitest reporter that names the test files which started but never finished, and the last test each
// one began (when vitest delivered that event before the worker died). When a fork dies under a file (a native crash, the OOM killer), vitest reports only
// "Worker exited unexpectedly" — this says where it was. Silent when every file finished.
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class UnfinishedReporter implements Reporter {
  private readonly running = new Map<string, string | undefined>();

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.moduleId, undefined);
  }

  onTestCaseReady(test: TestCase): void {
    if (this.running.has(test.module.moduleId)) this.running.set(test.module.moduleId, test.fullName);
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  onTestRunEnd(): void {
    if (this.running.size === 0) return;
    const lines = [...this.running].map(([file, test]) => `  ${path.relative(process.cwd(), file)}${test ? `\n    last test started: ${test}` : ''}`);
    process.stderr.write(`\nTest files that started but did not finish (their worker died?):\n${lines.join('\n')}\n`);
  }
}
