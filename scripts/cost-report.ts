import { parseArgs } from 'node:util';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { COLLECTIONS } from '@vidgen/contract';
import { parseJob } from '@vidgen/contract/admin';
import { parseRunpodApiKey, RunpodClient } from '@vidgen/runpod';
import { aggregateCosts, breakEven, formatCostReport } from './cost/aggregate';
import { billingWindow, DEFAULT_REPLICATE_USD_PER_VIDEO, fleetSpend, formatFleetSpend } from './cost/fleet-spend';
import { readFleetPods } from './cost/read-fleet-pods';

const USAGE = `Usage: npm run cost-report -- [--since 30d|24h|2026-11-01] [--until ISO date] [--pod-usd-per-month 320] [--pay-per-run-usd 0.17] [--project ID]
                            [--runpod-api-key KEY|none] [--runpod-base-url URL]
Reads jobs from Firestore (the emulator when FIRESTORE_EMULATOR_HOST is set), and prints volume and
cost by tier and backend (every attempt, whatever its outcome), what was spent on jobs that did not
succeed, and the break-even between a fixed-price GPU pod and paying per run. The total is the sum of
the jobs' costUsd.
With a RunPod API key (RUNPOD_API_KEY or --runpod-api-key; none: off) it also reads the account's pod
billing (RUNPOD_API_BASE_URL or --runpod-base-url: another API root, e.g. the simulator's) and prints the
GPU fleet's paid spend and hours, the GPU time its attempts held, utilisation, cost per video on the
pods and what the same videos would have cost on Replicate. The period is then widened to whole
hours (periods up to 3 days) or days, as RunPod bills.`;

function parseSince(value: string, now: Date): Date {
  const relative = /^(\d+)([dh])$/.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000));
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`--since: "${value}" is neither like 30d / 24h nor a date`);
  return date;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      since: { type: 'string', default: '30d' },
      until: { type: 'string' },
      'pod-usd-per-month': { type: 'string', default: '320' },
      'pay-per-run-usd': { type: 'string' },
      project: { type: 'string', default: process.env.GCLOUD_PROJECT ?? 'demo-vidgen' },
      'runpod-api-key': { type: 'string', default: process.env.RUNPOD_API_KEY },
      'runpod-base-url': { type: 'string', default: process.env.RUNPOD_API_BASE_URL },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const now = new Date();
  const asked = { since: parseSince(values.since, now), until: values.until ? new Date(values.until) : now };
  const podUsdPerMonth = Number(values['pod-usd-per-month']);
  if (!(podUsdPerMonth > 0)) throw new Error('--pod-usd-per-month must be a positive number');
  const payPerRunFlag = values['pay-per-run-usd'] ? Number(values['pay-per-run-usd']) : null;
  const key = parseRunpodApiKey(values['runpod-api-key']);
  // RunPod bills in whole buckets: the jobs are read over the same widened window as the pods.
  const window = key.state === 'on' ? billingWindow(asked.since, asked.until) : null;
  const since = window?.start ?? asked.since;
  const until = window?.end ?? asked.until;

  const db = getFirestore(initializeApp({ projectId: values.project }));
  const snapshot = await db.collection(COLLECTIONS.jobs).where('createdAt', '>=', since).where('createdAt', '<', until).get();
  let unreadable = 0;
  const jobs = snapshot.docs.flatMap((doc) => {
    try {
      return [parseJob(doc.data())];
    } catch {
      unreadable += 1;
      return [];
    }
  });
  const report = aggregateCosts(jobs);
  const payPerRun = payPerRunFlag ?? report.replicateUsdPerVideo ?? DEFAULT_REPLICATE_USD_PER_VIDEO;
  const periodDays = (until.getTime() - since.getTime()) / 86_400_000;
  const even = breakEven(report, { podUsdPerMonth, payPerRunUsdPerVideo: payPerRun, periodDays });

  const out = formatCostReport(report, { since, until });
  if (window && (window.start < asked.since || window.end > asked.until)) {
    out.unshift(`Period widened to whole ${window.bucketSize}s, as RunPod bills pods (asked: ${asked.since.toISOString()} → ${asked.until.toISOString()}).`);
  }
  if (unreadable > 0) out.push(`${unreadable} job documents could not be read and are not counted.`);
  out.push('');
  out.push(`Break-even: a $${podUsdPerMonth}/month pod against $${payPerRun.toFixed(4)} a video pays off at ${Math.ceil(even.videosPerMonth)} videos a month.`);
  out.push(`This period projects to ${even.projectedVideosPerMonth.toFixed(0)} GPU-tier videos a month: ${even.cheaper === 'pod' ? 'a fixed pod is cheaper' : 'pay-per-run is cheaper'}.`);
  if (key.state === 'on' && window) {
    const runpod = new RunpodClient({ apiKey: key.apiKey, ...(values['runpod-base-url'] ? { baseUrl: values['runpod-base-url'] } : {}) });
    try {
      const { records, known } = await readFleetPods(runpod, db, window);
      out.push('', ...formatFleetSpend(fleetSpend({ window, records, known, jobs, report, payPerRunUsd: payPerRunFlag, now })));
    } catch (error) {
      // The job figures above still stand; the exit status says the report is incomplete.
      out.push('', `Fleet pods: could not be read from RunPod: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  } else if (key.state === 'unset') {
    out.push('', 'Fleet pods: not read (no RUNPOD_API_KEY or --runpod-api-key; none turns this line off).');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`cost-report: ${error.message}\n`);
  process.exit(1);
});
