// Progress for long work: a live bar on a terminal, a plain line every few seconds otherwise.
import cliProgress from 'cli-progress';

const PLAIN_INTERVAL_MS = 5000;

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class Progress {
  private readonly started = Date.now();
  private lastPlain = 0;
  private readonly bar?: cliProgress.SingleBar;

  constructor(private readonly label: string, private readonly total: number, stream: NodeJS.WriteStream = process.stderr) {
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar({
        stream,
        format: `${label} [{bar}] {value}/{total} | {rate}/s | {eta_formatted} left {extra}`,
        hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0, { rate: '0.0', extra: '' });
    }
  }

  /** Items per second so far. */
  rate(done: number): number {
    return done / Math.max(1e-3, (Date.now() - this.started) / 1000);
  }

  update(done: number, extra = ''): void {
    const rate = this.rate(done);
    if (this.bar) {
      this.bar.update(done, { rate: rate.toFixed(2), extra });
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < PLAIN_INTERVAL_MS && done < this.total) return;
    this.lastPlain = now;
    const left = (this.total - done) / rate;
    console.error(`${this.label}: ${done}/${this.total}, ${rate.toFixed(2)}/s, ${formatSeconds(left)} left${extra ? `, ${extra}` : ''}`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
