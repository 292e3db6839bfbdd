import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { SPAWN_MANY_TIMEOUT_MS } from '../support/timeouts.ts';
import { collect, REPO_ROOT, runCli, spawnCli } from './run-cli.ts';

/** A fixed moment, so every run sees the same simulated data. */
const NOW = '2026-11-20T06:30:00Z';

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('the peer5-reporter command line', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'peer5-cli-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('lists its commands and exit codes with --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['start', 'run', 'report', 'backfill', 'plan', 'query', 'simulator']) {
      expect(result.stdout).toContain(`  ${command}`);
    }
    expect(result.stdout).toContain('0 ok, 1 failed, 2 bad usage, 3 finished with gaps');
  });

  it('prints usage for every command with --help', async () => {
    const commands = ['start', 'run', 'report', 'backfill', 'plan', 'query', 'simulator'];
    const results = await Promise.all(commands.map((command) => runCli([command, '--help'])));
    commands.forEach((command, index) => {
      expect(results[index]?.code, command).toBe(0);
      expect(results[index]?.stdout, command).toMatch(new RegExp(`Usage: peer5-reporter ${command}`));
    });
  });

  it('prints its version with --version', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag]);
      expect(result.code, flag).toBe(0);
      expect(result.stdout, flag).toBe(`peer5-reporter ${pkg.version}\n`);
    }
  });

  it('shows a command\'s help with "help COMMAND", as "COMMAND --help" does', async () => {
    for (const command of ['backfill', 'simulator']) {
      const [viaHelp, viaFlag] = await Promise.all([runCli(['help', command]), runCli([command, '--help'])]);
      expect(viaHelp.code, command).toBe(0);
      expect(viaHelp.stdout, command).toBe(viaFlag.stdout);
      expect(viaHelp.stdout, command).toMatch(new RegExp(`^Usage: peer5-reporter ${command}`));
    }
    const main = await runCli(['help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('peer5-reporter help <command>');
  });

  it('suggests the command or flag a typo was meant to be, and exits 2', async () => {
    const cases: { args: string[]; says: string }[] = [
      { args: ['strat'], says: 'unknown command "strat"; did you mean "start"?' },
      { args: ['Report'], says: 'unknown command "Report"; did you mean "report"?' },
      { args: ['--verison'], says: 'unknown command "--verison"; did you mean "--version"?' },
      { args: ['help', 'backfil'], says: 'unknown command "backfil"; did you mean "backfill"?' },
      { args: ['backfill', '--form', '2026-11-01'], says: `Unknown option '--form'; did you mean "--from"?` },
      {
        args: ['report', '--ses-form', 'a@example.com'],
        says: `Unknown option '--ses-form'; did you mean "--ses-from"?`,
      },
      { args: ['plan', 'hourly', '--jsno'], says: `Unknown option '--jsno'; did you mean "--json"?` },
      { args: ['simulator', '--prot', '0'], says: `Unknown option '--prot'; did you mean "--port"?` },
      { args: ['run', 'hourley'], says: 'run needs what to run: hourly or daily; did you mean "hourly"?' },
      {
        args: ['plan', 'hourly', '--datasets', 'by_contry_1h'],
        says: '--datasets: unknown dataset "by_contry_1h"; did you mean "by_country_1h"?',
      },
      {
        args: ['plan', 'backfil'],
        says: 'plan needs what to plan: hourly, daily or backfill; did you mean "backfill"?',
      },
    ];
    const results = await Promise.all(cases.map(({ args }) => runCli(args)));
    cases.forEach(({ args, says }, index) => {
      expect(results[index]?.code, args.join(' ')).toBe(2);
      expect(results[index]?.stderr, args.join(' ')).toContain(says);
    });
    const unlike = await runCli(['frobnicate']);
    expect(unlike.stderr).not.toContain('did you mean');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it(
    'rejects bad flags with exit code 2 and a message that names the flag and the rule',
    async () => {
      const cases: { args: string[]; says: RegExp }[] = [
        { args: ['start', '--colour'], says: /Unknown option '--colour'/ },
        { args: ['run', 'weekly'], says: /run needs what to run: hourly or daily/ },
        { args: ['run', 'hourly', '--settle-hours', '0'], says: /--settle-hours: must be at least 1/ },
        {
          args: ['run', 'hourly', '--lake', 'ftp://host/x'],
          says: /--lake: .*only s3:\/\/ URLs and local folders/,
        },
        { args: ['run', 'hourly', '--datasets', 'nope'], says: /--datasets: unknown dataset "nope"/ },
        {
          args: ['report', '--date', '25-11-2026'],
          says: /--date must be a calendar date in the form YYYY-MM-DD; got "25-11-2026"/,
        },
        // A day that does not exist is refused by the same rule, before anything runs.
        {
          args: ['report', '--date', '2026-02-30', '--now', NOW],
          says: /--date must be a calendar date in the form YYYY-MM-DD; got "2026-02-30"/,
        },
        {
          args: ['report', '--date', '2026-11-20', '--now', NOW],
          says: /--date: .*(not over|not ended|has not)/i,
        },
        {
          args: ['plan', 'backfill', '--from', '2026-02-30', '--to', '2026-03-02'],
          says: /--from must be an ISO 8601 date .* that exists on the calendar/,
        },
        { args: ['report', '--time-zone', 'Mars/Base'], says: /--time-zone: must be an IANA time zone/ },
        {
          args: ['report', '--ses-from', 'not-an-address', '--to', 'a@example.com'],
          says: /--ses-from: must be an email/,
        },
        { args: ['report', '--ses-from', 'a@example.com'], says: /--ses-from needs at least one --to/ },
        {
          args: ['backfill', '--from', '2026-13-01', '--to', '2026-11-20'],
          says: /--from must be an ISO 8601 date/,
        },
        {
          args: ['backfill', '--from', '2026-11-20', '--to', '2026-11-19'],
          says: /--to must be after --from/,
        },
        { args: ['backfill', '--to', '2026-11-19'], says: /--from is required/ },
        {
          args: ['backfill', '--from', '2026-11-18', '--to', '2026-11-19', '--max-requests-per-minute', 'x'],
          says: /--max-requests-per-minute: must be a whole number/,
        },
        {
          args: ['run', 'hourly', '--max-requests-per-minute', '4'],
          says: /^peer5-reporter run: --max-requests-per-minute: must be at least 5$/m,
        },
        { args: ['plan'], says: /plan needs what to plan: hourly, daily or backfill/ },
        { args: ['query'], says: /query needs the SQL to run/ },
        { args: ['run', 'daily', '--now', 'yesterday'], says: /--now must be an ISO 8601 date/ },
        {
          args: ['run', 'daily', '--api-url', 'https://api.example.com/v1'],
          says: /--api-url needs a token/,
        },
        { args: ['simulator', '--port', 'abc'], says: /--port/ },
      ];
      const results = await Promise.all(cases.map(({ args }) => runCli(args)));
      cases.forEach(({ args, says }, index) => {
        expect(results[index]?.code, args.join(' ')).toBe(2);
        expect(results[index]?.stderr, args.join(' ')).toMatch(says);
      });
    },
    SPAWN_MANY_TIMEOUT_MS,
  );

  it('exits 2 for a moment before the lake begins, naming the flag that gave it', async () => {
    const cases: { args: string[]; says: RegExp }[] = [
      {
        args: ['backfill', '--from', '2014-12-31', '--to', '2015-01-02'],
        says: /^peer5-reporter backfill: --from: must be on or after 2015-01-01, the first day the lake's tables show; got "2014-12-31"$/m,
      },
      {
        args: ['plan', 'backfill', '--from', '2014-12-31', '--to', '2015-01-02'],
        says: /--from: must be on or after 2015-01-01/,
      },
      { args: ['run', 'hourly', '--now', '1970-01-01'], says: /--now: must be on or after 2015-01-01/ },
      {
        args: ['report', '--date', '1990-01-01', '--now', NOW],
        says: /^peer5-reporter report: --date: 1990-01-01 is too old to report on/m,
      },
      {
        args: ['plan', 'hourly', '--lake', 's3://bucket/../x'],
        says: /--lake: .*its prefix "\.\.\/x" must be/,
      },
    ];
    const results = await Promise.all(cases.map(({ args }) => runCli(args)));
    cases.forEach(({ args, says }, index) => {
      expect(results[index]?.code, args.join(' ')).toBe(2);
      expect(results[index]?.stderr, args.join(' ')).toMatch(says);
    });
  });

  it('exits 2 when --datasets names only datasets a run of that cadence does not export', async () => {
    const [run, plan] = await Promise.all([
      runCli([
        'run',
        'hourly',
        '--datasets',
        'by_page_1d',
        '--now',
        NOW,
        '--lake',
        path.join(work, 'no-cadence'),
      ]),
      runCli(['plan', 'daily', '--datasets', 'totals_1m,by_country_1h', '--now', NOW]),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--datasets: by_page_1d is daily; an hourly run exports only hourly datasets',
    );
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain(
      '--datasets: totals_1m is hourly, by_country_1h is hourly; a daily run exports',
    );
    expect(existsSync(path.join(work, 'no-cadence'))).toBe(false);
  });

  it('reads settings from a config file and names a bad setting in it, and the file', async () => {
    const dir = path.join(work, 'config');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'peer5-reporter.config.json');
    await writeFile(file, JSON.stringify({ settleHours: 99 }));
    const result = await runCli(['plan', 'hourly', '--now', NOW], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`setting "settleHours" in ${file}: must be at most 48`);
  });

  it('reads a datasetsFile named in the config file, next to that file', async () => {
    const dir = path.join(work, 'datasets-file');
    await mkdir(path.join(dir, 'settings'), { recursive: true });
    const config = path.join(dir, 'settings', 'peer5-reporter.config.json');
    await writeFile(config, JSON.stringify({ datasetsFile: 'pages.json' }));
    const pages = {
      name: 'pages_1d',
      interval: '1d',
      metrics: ['p2p'],
      dimensions: ['session.page'],
      cadence: 'daily',
    };
    await writeFile(path.join(dir, 'settings', 'pages.json'), JSON.stringify([pages], null, 2));
    const plan = await runCli(['plan', 'daily', '--now', NOW, '--config', config, '--json'], { cwd: dir });
    expect(plan.code).toBe(0);
    const fetches = (JSON.parse(plan.stdout) as { fetches: { dataset: string }[] }).fetches;
    expect(new Set(fetches.map((fetch) => fetch.dataset))).toEqual(new Set(['pages_1d']));

    await writeFile(path.join(dir, 'settings', 'pages.json'), JSON.stringify([{ ...pages, interval: '1w' }]));
    const bad = await runCli(['plan', 'daily', '--now', NOW, '--config', config], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`setting "datasetsFile" in ${config}: pages.json[0] (pages_1d).interval: `);
  });

  it('blames the config file and its key, not flags that were never given', async () => {
    const dir = path.join(work, 'config-blame');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'peer5-reporter.config.json');
    const cases: { config: string; args: string[]; says: string }[] = [
      {
        config: JSON.stringify({ sender: 'x' }),
        args: ['report', '--now', NOW],
        says: `setting "sender" in ${file} sends the report through SES, which needs "recipients" in that file (or --to)`,
      },
      {
        config: JSON.stringify({ sender: 'x' }),
        args: ['run', 'daily', '--now', NOW],
        says: `setting "sender" in ${file} sends the report through SES, which needs "recipients" in that file (or --to)`,
      },
      {
        config: JSON.stringify({ sender: 'x', recipients: ['ops@example.com'] }),
        args: ['report', '--now', NOW],
        says: `setting "sender" in ${file}: must be an email address`,
      },
      {
        config: JSON.stringify({ bucketName: 'my-lake', prefix: '../x' }),
        args: ['plan', 'hourly', '--now', NOW],
        says: `setting "prefix" in ${file}: must be a key prefix`,
      },
      {
        config: JSON.stringify({ lake: 7 }),
        args: ['plan', 'hourly'],
        says: `setting "lake" in ${file}: must be`,
      },
      {
        config: JSON.stringify({ lake: 'ftp://host/x' }),
        args: ['plan', 'hourly'],
        says: `setting "lake" in ${file}: lake location "ftp://host/x"`,
      },
      { config: '{"settleHours": ', args: ['plan', 'hourly'], says: `config file ${file} is not valid JSON` },
      {
        config: '[]',
        args: ['plan', 'hourly'],
        says: `config file ${file} must hold a JSON object of settings`,
      },
    ];
    for (const { config, args, says } of cases) {
      await writeFile(file, config);
      const result = await runCli(args, { cwd: dir });
      expect(result.code, config).toBe(2);
      expect(result.stderr, config).toContain(says);
      expect(result.stderr, config).not.toMatch(/--ses-from|--to\b(?! ?\))|--config/);
    }
    const explicit = await runCli(['plan', 'hourly', '--config', file], { cwd: work });
    expect(explicit.stderr).toContain(`--config: config file ${file} must hold a JSON object of settings`);
  });

  describe('on a local lake', () => {
    let lake: string;
    let outbox: string;

    beforeAll(async () => {
      lake = path.join(work, 'lake');
      outbox = path.join(work, 'outbox');
    });

    it('start exports yesterday, writes the report and prints JSON with --json', async () => {
      const result = await runCli(['start', '--now', NOW, '--lake', lake, '--outbox', outbox, '--json']);
      expect(result.stderr).toContain('embedded simulator');
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout) as {
        windows: { dataset: string; start: string; final: boolean; rows: number }[];
        gaps: unknown[];
        report: { subject: string; date: string; paths: string[]; apiRequests: number };
        watch: { message: string; date: string; hours: number; hoursJudged: number; alerted: boolean };
      };
      const hourly = DEFAULT_DATASETS.filter((dataset) => dataset.cadence === 'hourly').length;
      const daily = DEFAULT_DATASETS.length - hourly;
      const yesterday = output.windows.filter((window) => window.start.startsWith('2026-11-19'));
      expect(yesterday).toHaveLength(hourly * 24 + daily);
      // The watch's baseline: the 7 days before, of its hourly breakdowns the API serves that far
      // back, less by_country_1h, whose country by_country_isp_1h gives too.
      const before = output.windows.filter((window) => !window.start.startsWith('2026-11-19'));
      expect(new Set(before.map((window) => window.dataset))).toEqual(
        new Set(['by_browser_os_1h', 'by_country_isp_1h']),
      );
      expect(before).toHaveLength(2 * 7 * 24);
      expect(before.every((window) => window.start >= '2026-11-12')).toBe(true);
      expect(output.watch).toMatchObject({ date: '2026-11-19', hours: 24, hoursJudged: 24, alerted: false });
      expect(output.watch.message).toBe('Offload watch: no alert for 2026-11-19 (24 of 24 hours judged)');
      expect(output.gaps).toEqual([]);
      expect(output.report.date).toBe('2026-11-19');
      expect(output.report.subject).toMatch(/^Peer5 2026-11-19: offload \d+\.\d%/);
      expect(output.report.apiRequests).toBe(4);
      // Without a price of its own, npm start shows savings at an example price, and says so.
      const preview = output.report.paths.find((file) => file.endsWith('.html')) ?? '';
      expect(await readFile(preview, 'utf8')).toContain('Example price (set by npm start), not yours');
      // The footer reads the lake it has just written: every hour of the day is there.
      expect(await readFile(preview, 'utf8')).toContain('totals_1m: 24 of 24 windows written');
      for (const file of output.report.paths) expect(existsSync(file)).toBe(true);
      expect(await readFile(preview, 'utf8')).toContain('data:image/png;base64,');
      const files = await filesUnder(lake);
      expect(files).toContain('totals_1m/dt=2026-11-19/hour=00/totals_1m_2026-11-19T00.csv.gz');
      expect(files).toContain('by_page_1d/dt=2026-11-19/by_page_1d_2026-11-19.csv.gz');
      // The day is final, so it is curated too: one Parquet file per dataset.
      for (const dataset of DEFAULT_DATASETS) {
        expect(files).toContain(`${dataset.name}_curated/dt=2026-11-19/${dataset.name}_2026-11-19.parquet`);
      }
      expect(files.filter((file) => file.startsWith('_curate/'))).toEqual([]);
    });

    it('start run a second time skips the windows that are already final', async () => {
      const result = await runCli(['start', '--now', NOW, '--lake', lake, '--outbox', outbox, '--json']);
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { windows: unknown[] }).windows).toEqual([]);
    });

    it('query runs SQL over the local lake with the Glue table and column names', async () => {
      const sql =
        "SELECT count(*) AS buckets, count(DISTINCT hour) AS hours FROM peer5_reporter.totals_1m WHERE dt = '2026-11-19'";
      const result = await runCli(['query', sql, '--lake', lake, '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([{ buckets: 1440, hours: 24 }]);

      const table = await runCli([
        'query',
        'SELECT country_code, sum(http + p2p) AS delivered FROM by_country_1h GROUP BY 1 ORDER BY 2 DESC LIMIT 3',
        '--lake',
        lake,
      ]);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^country_code\s+delivered$/);
      expect(table.stdout.trim().split('\n')).toHaveLength(4);
    });

    it('query reads the curated tables by their Glue names, and they agree with the raw ones', async () => {
      const sql = (table: string) =>
        `SELECT count(*) AS rows, sum(p2p) AS p2p FROM peer5_reporter.${table} WHERE dt = '2026-11-19'`;
      const raw = await runCli(['query', sql('by_country_isp_1h'), '--lake', lake, '--json']);
      const curated = await runCli(['query', sql('by_country_isp_1h_curated'), '--lake', lake, '--json']);
      expect(curated.code, curated.stderr).toBe(0);
      expect(JSON.parse(curated.stdout)).toEqual(JSON.parse(raw.stdout));
      expect((JSON.parse(curated.stdout) as { rows: number }[])[0]?.rows).toBeGreaterThan(24);
    });

    it('plan lists the curated days a backfill would write', async () => {
      const args = ['plan', 'backfill', '--from', '2026-11-18', '--to', '2026-11-19', '--now', NOW];
      const result = await runCli([...args, '--lake', lake, '--datasets', 'by_page_1d', '--json']);
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { curatedDays: unknown[] }).curatedDays).toEqual([
        {
          dataset: 'by_page_1d',
          day: '2026-11-18',
          key: 'by_page_1d_curated/dt=2026-11-18/by_page_1d_2026-11-18.parquet',
        },
      ]);
      const text = await runCli([...args, '--lake', lake, '--datasets', 'by_page_1d']);
      expect(text.stdout).toContain('Curated days it would write (1): by_page_1d 2026-11-18');
    });

    it('backfill --no-curate writes the raw table only and leaves the day marked, and the next backfill curates it', async () => {
      const own = `${lake}-no-curate`;
      const args = ['backfill', '--from', '2026-11-18', '--to', '2026-11-19', '--now', NOW, '--lake', own];
      const raw = await runCli([...args, '--datasets', 'by_page_1d', '--no-curate', '--json']);
      expect(raw.code, raw.stderr).toBe(0);
      expect(raw.stderr).toContain('Not curated (--no-curate)');
      expect((JSON.parse(raw.stdout) as { curated: { written: unknown[] } }).curated.written).toEqual([]);
      const marked = await filesUnder(own);
      expect(marked).toContain('by_page_1d/dt=2026-11-18/by_page_1d_2026-11-18.csv.gz');
      expect(marked.filter((file) => file.endsWith('.parquet'))).toEqual([]);
      expect(marked.filter((file) => file.startsWith('_curate/'))).not.toEqual([]);
      const curated = await runCli([...args, '--datasets', 'by_page_1d', '--json']);
      expect(curated.code, curated.stderr).toBe(0);
      const files = await filesUnder(own);
      expect(files).toContain('by_page_1d_curated/dt=2026-11-18/by_page_1d_2026-11-18.parquet');
      expect(files.filter((file) => file.startsWith('_curate/'))).toEqual([]);
    });

    it('plan shows what an hourly run would fetch without fetching it', async () => {
      const before = await filesUnder(lake);
      const result = await runCli(['plan', 'hourly', '--now', NOW, '--lake', lake, '--json']);
      expect(result.code).toBe(0);
      const plan = JSON.parse(result.stdout) as {
        windows: number;
        requests: number;
        fetches: { dataset: string }[];
      };
      expect(plan.windows).toBeGreaterThan(0);
      expect(plan.requests).toBeGreaterThan(0);
      expect(new Set(plan.fetches.map((fetch) => fetch.dataset))).toEqual(
        new Set(DEFAULT_DATASETS.filter((d) => d.cadence === 'hourly').map((d) => d.name)),
      );
      expect(await filesUnder(lake)).toEqual(before);

      const text = await runCli(['plan', 'hourly', '--now', NOW, '--lake', lake]);
      expect(text.stdout).toMatch(/^Plan at 2026-11-20T06:30Z: \d+ windows/);
    });

    it('run hourly writes only its own cadence and a re-run refetches only young windows', async () => {
      const lakeDir = path.join(work, 'hourly-lake');
      const args = [
        'run',
        'hourly',
        '--now',
        NOW,
        '--lake',
        lakeDir,
        '--datasets',
        'totals_1m,by_page_1d',
        '--json',
      ];
      const first = await runCli(args);
      expect(first.code).toBe(0);
      const written = (JSON.parse(first.stdout) as { windows: { dataset: string; final: boolean }[] })
        .windows;
      expect(new Set(written.map((window) => window.dataset))).toEqual(new Set(['totals_1m']));
      // 1m data reaches back 7 days, so a first run catches up a week of hours.
      expect(written.length).toBeGreaterThan(24 * 6);

      const second = await runCli(args);
      expect(second.code).toBe(0);
      const again = (JSON.parse(second.stdout) as { windows: { final: boolean }[] }).windows;
      expect(again.length).toBeGreaterThan(0);
      expect(again.length).toBeLessThan(12);
      const keys = (await filesUnder(lakeDir)).filter((file) => file.endsWith('.csv.gz'));
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('exits 3 and names the gap when windows fell out of the API look-back', async () => {
      const lakeDir = path.join(work, 'gap-lake');
      const first = await runCli([
        'run',
        'hourly',
        '--now',
        NOW,
        '--lake',
        lakeDir,
        '--datasets',
        'totals_1m',
        '--json',
      ]);
      expect(first.code).toBe(0);
      const later = await runCli([
        'run',
        'hourly',
        '--now',
        '2026-11-30T06:30:00Z',
        '--lake',
        lakeDir,
        '--datasets',
        'totals_1m',
      ]);
      expect(later.code).toBe(3);
      expect(later.stdout).toMatch(
        /GAP totals_1m \[2026-11-20T06:00:00Z, 2026-11-23T\d\d:00:00Z\): \d+ windows \(beyond-look-back\)/,
      );
    });

    it('report writes the email for a given day to the outbox', async () => {
      const dir = path.join(work, 'report-outbox');
      const result = await runCli([
        'report',
        '--date',
        '2026-11-18',
        '--now',
        NOW,
        '--outbox',
        dir,
        '--time-zone',
        'Europe/Berlin',
        '--json',
      ]);
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout) as { subject: string; timeZone: string; paths: string[] };
      expect(output.subject).toMatch(/^Peer5 2026-11-18: offload/);
      expect(output.timeZone).toBe('Europe/Berlin');
      expect((await readdir(dir)).sort()).toEqual(output.paths.map((file) => path.basename(file)).sort());
    });
  });

  it('serves the simulator until interrupted', async () => {
    const child = spawnCli(['simulator', '--port', '0', '--now', NOW]);
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`simulator exited early: ${stdout}`)));
    });
    const from = Date.parse('2026-11-19T00:00:00Z');
    const response = await fetch(`${url}/export?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 'demo-token' },
      body: JSON.stringify({ from, to: from + 3_600_000, interval: '1h', metrics: ['http', 'p2p'] }),
    });
    expect(response.status).toBe(200);
    expect((await response.text()).split('\n')[0]).toBe('"timestamp","http","p2p"');
    const done = collect(child);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });
});
