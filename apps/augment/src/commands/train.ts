import { selectBackend, trainCycleGan, type TrainProgress } from '@nightshift/cyclegan';
import { Progress } from '../progress.ts';

export interface TrainCommandOptions {
  a: string;
  b: string;
  out: string;
  backend: string;
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
  ganMode?: 'lsgan' | 'vanilla';
  poolSize?: number;
  seed?: number;
  checkpointEvery?: number;
  sampleEvery?: number;
  logEvery?: number;
  maxIterations?: number;
  resume?: boolean;
}

function formatLosses(p: TrainProgress): string {
  return Object.entries(p.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
}

/** `nightshift train`: trains a CycleGAN on two unpaired image folders. */
export async function runTrain(opts: TrainCommandOptions): Promise<number> {
  const backend = await selectBackend(opts.backend, { purpose: 'training' });
  console.log(`backend: ${backend.name} (${backend.reason})`);
  for (const s of backend.skipped) console.log(`  skipped ${s.name}: ${s.why}`);

  const architecture = Object.fromEntries(
    Object.entries({ ngf: opts.ngf, nBlocks: opts.nBlocks, ndf: opts.ndf, nLayers: opts.nLayers }).filter(([, v]) => v !== undefined),
  );
  const controller = new AbortController();
  const onSignal = () => {
    console.error('\nStopping after this iteration and saving a checkpoint (press Ctrl-C again to abort at once)...');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);

  let bar: Progress | undefined;
  try {
    const result = await trainCycleGan({
      dirA: opts.a, dirB: opts.b, outDir: opts.out, architecture,
      preprocess: opts.preprocess, loadSize: opts.loadSize, cropSize: opts.cropSize, flip: opts.flip,
      batchSize: opts.batchSize, nEpochs: opts.nEpochs, nEpochsDecay: opts.nEpochsDecay,
      lr: opts.lr, beta1: opts.beta1, lambdaA: opts.lambdaA, lambdaB: opts.lambdaB, lambdaIdentity: opts.lambdaIdentity,
      ganMode: opts.ganMode, poolSize: opts.poolSize, seed: opts.seed,
      checkpointEvery: opts.checkpointEvery, sampleEvery: opts.sampleEvery, logEvery: opts.logEvery,
      maxIterations: opts.maxIterations, resume: opts.resume, signal: controller.signal,
      onProgress: (p) => {
        bar ??= new Progress('train', p.totalIterations);
        bar.update(p.iteration, `epoch ${p.epoch}/${p.lastEpoch} lr ${p.lr.toExponential(2)} ${formatLosses(p)}`);
      },
      onEvent: (e) => {
        if (e.kind === 'skipped-file') console.error(`skipped ${e.error.message}`);
        else if (e.kind === 'resumed') console.error(`resumed at iteration ${e.iteration} from ${e.checkpoint}`);
        else if (e.kind === 'checkpoint') console.error(`checkpoint ${e.dir}`);
      },
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
