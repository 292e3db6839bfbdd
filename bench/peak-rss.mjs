// Preloaded (`node --import ./bench/peak-rss.mjs ...`) into a process the bench measures from
// outside, such as the CLI or a bundled handler: as it exits, it writes its peak resident set
// size, the kernel's own VmHWM counter, to the file named by PEER5_BENCH_PEAK_FILE.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.PEER5_BENCH_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(file, match ? match[1] : '');
  });
}
