import { mkdir, writeFile } from 'node:fs/promises';

/**
 * Writes a scenario's measured figures to `test-results/reliability/<scenario>.json` (the README's
 * Reliability section quotes them) and prints them, so a CI log shows them too.
 */
export async function recordFigures(scenario: string, figures: Record<string, unknown>): Promise<void> {
  const dir = 'test-results/reliability';
  await mkdir(dir, { recursive: true });
  const record = { scenario, measuredAt: new Date().toISOString(), ...figures };
  await writeFile(`${dir}/${scenario}.json`, JSON.stringify(record, null, 2) + '\n');
  console.log(`reliability figures ${JSON.stringify(record)}`);
}
