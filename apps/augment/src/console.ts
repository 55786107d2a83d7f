// Everything nightshift prints for people: tables, problem lists.
import { formatProblem, type DatasetProblem } from '@nightshift/labels';

export function printTable(header: string[], rows: (string | number)[][]): void {
  if (rows.length === 0) return;
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(cells[0]));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function printProblems(problems: readonly DatasetProblem[]): void {
  if (problems.length === 0) {
    console.log('No problems found.');
    return;
  }
  console.log(`${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
  for (const p of problems) console.log(`  ${formatProblem(p)}`);
}
