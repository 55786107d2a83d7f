// Time of one consistency check on one core, measured in a child process pinned to a core (taskset, when
// the machine has it) so that every thread the check needs (the garbage collector's included) runs on
// that core: its wall time is the time the check takes on one core, and no other work of the benchmark
// (ONNX Runtime's thread pool, earlier allocations) runs beside it.
// With a segmenter (its folder), each timed check includes the segmenter's reading of the source and the
// output (ONNX Runtime on the cpu provider with one thread), as the pipeline runs it with --checks all.
//   parent: timeCheckOnOneCore(input, runs, core[, segmenter])
//   child:  node --import tsx bench/lib/check-timing.ts FILE RUNS [SEGMENTER]  (FILE written by the parent)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SemanticSegmenter, checkConsistency, type ConsistencyInput } from '@nightshift/consistency';

export interface CheckTiming {
  /** Wall time per check in ms, sorted. */
  wallMs: number[];
  /** Process CPU time (user + system, every thread) per check in ms, sorted. */
  cpuMs: number[];
  /** The core the child was pinned to, or null when taskset is missing (then it ran unpinned). */
  core: number | null;
  /** The segmenter folder when the timed check ran the semantic cue too. */
  segmenter?: string;
}

const WARMUP = 3;

export function timeCheckOnOneCore(input: ConsistencyInput, runs: number, core = 0, segmenter?: string): CheckTiming {
  const dir = mkdtempSync(join(tmpdir(), 'check-timing-'));
  try {
    const file = join(dir, 'input.bin');
    const { source, output, labels } = input;
    const header = Buffer.from(JSON.stringify({ sampleId: input.sampleId, width: source.width, height: source.height }) + '\n');
    writeFileSync(file, Buffer.concat([header, source.data, output.data, labels.semantic, Buffer.from(labels.instances.buffer, labels.instances.byteOffset, labels.instances.byteLength)]));
    const node = [process.execPath, '--import', 'tsx', import.meta.filename, file, String(runs), ...(segmenter ? [segmenter] : [])];
    const pinned = spawnSync('taskset', ['-c', String(core), ...node], { encoding: 'utf8' });
    const usedTaskset = !pinned.error;
    const r = usedTaskset ? pinned : spawnSync(node[0], node.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`check timing child failed (${r.status}): ${r.stderr}`);
    const { wallMs, cpuMs } = JSON.parse(r.stdout) as { wallMs: number[]; cpuMs: number[] };
    return { wallMs, cpuMs, core: usedTaskset ? core : null, ...(segmenter ? { segmenter } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(file: string, runs: number, segmenterPath?: string): Promise<void> {
  const bytes = readFileSync(file);
  const nl = bytes.indexOf(10);
  const { sampleId, width, height } = JSON.parse(bytes.subarray(0, nl).toString()) as { sampleId: string; width: number; height: number };
  const n = width * height;
  // Copies, so that every plane starts at offset 0 of its own buffer as decoded images do.
  let o = nl + 1;
  const take = (length: number): Uint8Array => { const v = Uint8Array.from(bytes.subarray(o, o + length)); o += length; return v; };
  const source = { width, height, data: take(3 * n) }, output = { width, height, data: take(3 * n) };
  const semantic = take(n), instances = new Uint16Array(take(2 * n).buffer);
  const input: ConsistencyInput = { sampleId, source, output, labels: { width, height, semantic, instances } };
  const segmenter = segmenterPath ? await SemanticSegmenter.open(segmenterPath, { threads: 1 }) : undefined;
  const wallMs: number[] = [], cpuMs: number[] = [];
  for (let k = 0; k < WARMUP + runs; k++) {
    const c0 = process.cpuUsage(), w0 = performance.now();
    const semantic = await segmenter?.semanticInput(source, output, sampleId);
    checkConsistency({ ...input, semantic });
    const c = process.cpuUsage(c0), w = performance.now() - w0;
    if (k < WARMUP) continue;
    wallMs.push(w);
    cpuMs.push((c.user + c.system) / 1000);
  }
  process.stdout.write(JSON.stringify({ wallMs: wallMs.sort((a, b) => a - b), cpuMs: cpuMs.sort((a, b) => a - b) }));
}

if (process.argv[1] === import.meta.filename) await child(process.argv[2], Number(process.argv[3]), process.argv[4]);
