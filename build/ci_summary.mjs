// Prints vitest's JSON report as the one line CI reads: "N passed, N failed".
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? 'dist/test-results.json';
if (!existsSync(file)) {
  console.log('test run produced no report (vitest did not finish)');
  console.log('0 passed, 1 failed');
  process.exit(0);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
if (skipped > 0) console.log(`${skipped} skipped`);
// A suite that failed to load counts as a failure even though none of its tests ran.
const brokenSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed`);
