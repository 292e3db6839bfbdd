// Preloaded (`node --import ./bench/peak-rss.mjs ...`) into a process the bench measures from
// outside, such as the CLI or a bundled handler: as it exits, it writes to the file named by
// PEER5_BENCH_PEAK_FILE, as JSON, its peak resident set size (the kernel's own VmHWM counter, kB),
// the CPU time of the whole process, and that of its main thread alone (the one that runs
// JavaScript; the others are gzip's thread pool, the garbage collector's helpers and the like),
// in clock ticks as the kernel counts them in /proc.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.PEER5_BENCH_PEAK_FILE;

/** utime + stime, the 14th and 15th fields of a /proc stat line (after the name in parentheses). */
function cpuTicks(statFile) {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

if (file) {
  process.on('exit', () => {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({
        peakKb: match ? Number(match[1]) : null,
        cpuTicks: cpuTicks('/proc/self/stat'),
        mainThreadCpuTicks: cpuTicks(`/proc/self/task/${process.pid}/stat`),
      }),
    );
  });
}
