/**
 * `npm run demo:incident`: the incident it stages is alerted once, in its first hour, blamed on
 * the ISP and country it was staged on; recovered once after it ends; listed in the next morning's
 * report, whose subject leads with it. The README's block is what the demo writes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { README_PATH } from '../../bin/cli/readme-sections.ts';
import {
  DEMO_COMMAND,
  type DemoResult,
  readmeDemoBlock,
  renderDemoBlock,
  runIncidentDemo,
} from '../../docs/demo-incident.ts';

let out: string;
let demo: DemoResult;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'demo-incident-'));
  demo = await runIncidentDemo(out);
}, 120_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the incident demo', () => {
  it('alerts once in the incident’s first hour, naming its ISP and country, and recovers once after it', () => {
    const sent = demo.runs.filter((run) => run.includes(': sent'));
    const startHour = new Date(demo.incident.from).toISOString().slice(11, 16);
    const endHour = new Date(demo.incident.to).toISOString().slice(11, 16);
    expect(sent).toEqual([
      expect.stringMatching(new RegExp(`^${startHour}Z drop .*: sent alert$`)),
      expect.stringMatching(new RegExp(`^${endHour}Z steady .*: sent recovered$`)),
    ]);
    const alert = JSON.parse(demo.files.get('alert.json') ?? '{}') as {
      metadata: { additionalContext: Record<string, string> };
    };
    const context = alert.metadata.additionalContext;
    expect(context.dimensions).toBe('country.code,isp.name');
    expect(JSON.parse(context.values ?? '[]')).toEqual([
      demo.incident.where?.['country.code'],
      demo.incident.value,
    ]);
    expect(Number(context.shareExplained)).toBeGreaterThanOrEqual(0.7);
    expect(demo.files.get('alert.txt')).toMatch(/^Subject: Peer5 offload alert /);
    expect(demo.files.get('recovered.txt')).toMatch(/^Subject: Peer5 offload recovered /);
  });

  it('lists the incident in the next morning’s report, whose subject leads with the drop and the segment', () => {
    const report = demo.files.get('report.txt') ?? '';
    const segment = `ISP ${demo.incident.value} ${demo.incident.where?.['country.code']}`;
    expect(report.split('\n')[0]).toMatch(
      new RegExp(
        `^Subject: Peer5 2026-11-19: offload \\d+\\.\\d% \\(−\\d+\\.\\d pts vs last Thu\\), ${segment} explains \\d+%$`,
      ),
    );
    expect(report).toContain('Offload alerts on this day');
    expect(report).toMatch(
      new RegExp(`offload down \\d+\\.\\d pts at worst, ${segment} explains \\d+%; recovered `),
    );
  });

  it('writes what the README shows', async () => {
    const readme = await readFile(README_PATH, 'utf8');
    expect(readme).toContain(`${DEMO_COMMAND}`);
    expect(readmeDemoBlock(readme), `run ${DEMO_COMMAND} -- --readme`).toBe(renderDemoBlock(demo));
  });
});
