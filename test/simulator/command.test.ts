import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { simulatorCommand } from '../../simulator/command.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INCIDENT = {
  dimension: 'isp.name',
  value: 'BT',
  from: Date.UTC(2024, 4, 15, 9),
  to: Date.UTC(2024, 4, 15, 11),
  p2pFactor: 0.3,
  where: { 'country.code': 'GB' },
};

/** Runs the command in this process, capturing what it writes. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    const code = await simulatorCommand(argv);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('peer5-reporter simulator', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints its usage for --help and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: peer5-reporter simulator/);
    for (const flag of [
      '--port',
      '--seed',
      '--now',
      '--segments',
      '--rate-limit',
      '--late-data-delay',
      '--token',
      '--incident',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it.each([
    [['--port', 'abc'], /"--port" must be an integer from 0 to 65535; got "abc"/],
    [['--port', '70000'], /"--port" must be an integer from 0 to 65535; got 70000/],
    [['--seed=-1'], /"--seed" must be an integer from 0 to 4294967295/],
    [['--now', 'yesterday'], /"--now" must be an ISO 8601 date/],
    [['--now', '2024-05-01T12:00'], /"--now" must be an ISO 8601 date, or date-time with Z or an offset/],
    [['--segments', '0'], /"--segments" must be an integer from 1 to 1000000/],
    [['--rate-limit', '0'], /"--rate-limit" must be an integer from 1/],
    [['--late-data-delay', '1.5'], /"--late-data-delay" must be an integer from 0/],
    [['--token', ''], /"--token" must not be empty/],
    [['--incident', '{dimension'], /"--incident" number 1 is not JSON .*"dimension": "isp.name"/],
    [
      ['--incident', '{"dimension":"isp.name","value":"BT","from":0,"to":1,"p2pFactor":2}'],
      /"--incident\[0\]\.p2pFactor" must be a number from 0 to 1; got 2/,
    ],
    [['--bogus'], /Unknown option '--bogus'/],
    [['serve'], /Unexpected argument 'serve'/],
  ])('rejects %j with exit code 2 and a message naming the flag and the rule', async (argv, pattern) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(pattern);
    expect(stderr).toContain('--help');
  });

  it('serves until SIGTERM, then closes cleanly and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "import { simulatorCommand } from './simulator/command.ts'; process.exitCode = await simulatorCommand(process.argv.slice(1));",
        '--',
        '--port',
        '0',
        '--now',
        '2024-05-15T12:00:00Z',
        '--segments',
        '50',
        '--token',
        'cli-secret',
        '--incident',
        JSON.stringify(INCIDENT),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (text: string) => {
        stdout += text;
        const match = /listening on (http:\/\/\S+\/v1)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`the command exited early with ${code}: ${stdout}`)));
    });
    const response = await fetch(`${url}/export`, {
      method: 'POST',
      headers: { 'X-Auth-Token': 'cli-secret', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        from: Date.UTC(2024, 4, 15, 10),
        to: Date.UTC(2024, 4, 15, 14),
        interval: '1h',
        metrics: ['http'],
      }),
    });
    expect(response.status).toBe(200);
    // The clock is frozen at --now: buckets after it are not returned.
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(2);

    const staged = await fetch(`${url.replace(/\/v1$/, '')}/_sim/incidents`);
    expect(await staged.json()).toEqual({ incidents: [INCIDENT] });

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stdout).toContain('Simulator stopped (SIGTERM)');
    expect(stdout).not.toContain('cli-secret');
  });
});
