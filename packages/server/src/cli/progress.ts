// A one-line progress bar on a TTY; plain periodic lines otherwise (CI logs, pipes).
export class ProgressBar {
  private lastLine = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(label: string, done: number, total: number): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(ratio * width);
      this.stream.write(`\r${label.padEnd(18)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
      if (done >= total) this.stream.write('\n');
    } else if (done >= total || Date.now() - this.lastLine > 1000) {
      this.lastLine = Date.now();
      this.stream.write(`${label}: ${done}/${total}\n`);
    }
  }
}
