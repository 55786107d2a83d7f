import { GENERATOR_KINDS, selectBackend, trainCycleGan, trainPix2Pix, type TrainResult } from '@nightshift/cyclegan';
import { UsageError } from '../usage-error.ts';
import { Progress } from '../progress.ts';

export interface TrainCommandOptions {
  mode: 'cyclegan' | 'pix2pix';
  a?: string;
  b?: string;
  pairs?: string;
  out: string;
  numDowns?: number;
  lambdaL1?: number;
  backend: string;
  generator?: string;
  ngf?: number;
  nBlocks?: number;
  ndf?: number;
  nLayers?: number;
  preprocess?: 'resize_and_crop' | 'scale_width_and_crop' | 'scale_width' | 'crop' | 'none';
  loadSize?: number;
  cropSize?: number;
  flip: boolean;
  batchSize?: number;
  nEpochs?: number;
  nEpochsDecay?: number;
  lr?: number;
  beta1?: number;
  lambdaA?: number;
  lambdaB?: number;
  lambdaIdentity?: number;
  lambdaPrior?: number;
  ganMode?: 'lsgan' | 'vanilla';
  poolSize?: number;
  seed?: number;
  checkpointEvery?: number;
  sampleEvery?: number;
  logEvery?: number;
  maxIterations?: number;
  resume?: boolean;
}

function formatLosses(p: { losses: Readonly<Record<string, number>> }): string {
  return Object.entries(p.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
}

/** `nightshift train`: a CycleGAN on two unpaired image folders, or pix2pix on aligned pairs. */
export async function runTrain(opts: TrainCommandOptions): Promise<number> {
  if (opts.mode === 'cyclegan' && (!opts.a || !opts.b || opts.pairs)) throw new UsageError('--mode cyclegan trains on --a <dir> and --b <dir> (unpaired); --pairs is for --mode pix2pix');
  if (opts.mode === 'pix2pix' && (!opts.pairs || opts.a || opts.b)) throw new UsageError('--mode pix2pix trains on --pairs <dir> (A/ and B/ with the same file names, or side-by-side AB images); --a/--b are for --mode cyclegan');
  if (opts.mode === 'pix2pix' && opts.generator !== undefined) throw new UsageError('--generator is for --mode cyclegan; pix2pix trains a U-Net');
  if (opts.generator !== undefined && !(GENERATOR_KINDS as readonly string[]).includes(opts.generator)) {
    throw new UsageError(`--generator must be one of ${GENERATOR_KINDS.join(', ')}, got "${opts.generator}"`);
  }
  const backend = await selectBackend(opts.backend, { purpose: 'training' });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  for (const s of backend.skipped) console.log(`  skipped ${s.name}: ${s.why}`);

  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const architecture = defined(opts.mode === 'pix2pix'
    ? { ngf: opts.ngf, numDowns: opts.numDowns, ndf: opts.ndf, nLayers: opts.nLayers }
    : { generator: opts.generator, ngf: opts.ngf, nBlocks: opts.nBlocks, ndf: opts.ndf, nLayers: opts.nLayers });
  const controller = new AbortController();
  const onSignal = () => {
    console.error('\nStopping after this iteration and saving a checkpoint (press Ctrl-C again to abort at once)...');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);

  let bar: Progress | undefined;
  try {
    const common = {
      outDir: opts.out, preprocess: opts.preprocess, loadSize: opts.loadSize, cropSize: opts.cropSize, flip: opts.flip,
      batchSize: opts.batchSize, nEpochs: opts.nEpochs, nEpochsDecay: opts.nEpochsDecay, lr: opts.lr, beta1: opts.beta1,
      ganMode: opts.ganMode, seed: opts.seed,
      checkpointEvery: opts.checkpointEvery, sampleEvery: opts.sampleEvery, logEvery: opts.logEvery,
      maxIterations: opts.maxIterations, resume: opts.resume, signal: controller.signal,
      onProgress: (p: { totalIterations: number; iteration: number; epoch: number; lastEpoch: number; lr: number; losses: Readonly<Record<string, number>> }) => {
        bar ??= new Progress('train', p.totalIterations);
        bar.update(p.iteration, `epoch ${p.epoch}/${p.lastEpoch} lr ${p.lr.toExponential(2)} ${formatLosses(p)}`);
      },
      onEvent: (e: { kind: string; error?: Error; iteration?: number; checkpoint?: string; dir?: string }) => {
        if (e.kind === 'skipped-file') console.error(`skipped ${e.error!.message}`);
        else if (e.kind === 'resumed') console.error(`resumed at iteration ${e.iteration} from ${e.checkpoint}`);
        else if (e.kind === 'checkpoint') console.error(`checkpoint ${e.dir}`);
      },
    };
    const result: TrainResult = opts.mode === 'pix2pix'
      ? await trainPix2Pix({ ...common, pairsDir: opts.pairs!, architecture, lambdaL1: opts.lambdaL1 })
      : await trainCycleGan({
        ...common, dirA: opts.a!, dirB: opts.b!, architecture,
        lambdaA: opts.lambdaA, lambdaB: opts.lambdaB, lambdaIdentity: opts.lambdaIdentity, lambdaPrior: opts.lambdaPrior, poolSize: opts.poolSize,
      });
    bar?.stop();
    console.log(`Trained to iteration ${result.iteration} (epoch ${result.epoch}, stopped by ${result.stoppedBy}).`);
    console.log(`  checkpoint: ${result.checkpoint}`);
    console.log(`  loss log:   ${opts.out}/loss-log.jsonl, curve ${opts.out}/loss-curve.png, samples ${opts.out}/samples/`);
    if (result.skipped.length > 0) console.log(`  ${result.skipped.length} unreadable files were skipped (listed above).`);
    return 0;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSignal);
  }
}
