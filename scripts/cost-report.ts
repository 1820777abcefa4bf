import { parseArgs } from 'node:util';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { COLLECTIONS } from '@vidgen/contract';
import { parseJob } from '@vidgen/contract/admin';
import { aggregateCosts, breakEven, formatCostReport } from './cost/aggregate';

const USAGE = `Usage: npm run cost-report -- [--since 30d|24h|2026-11-01] [--until ISO date] [--pod-usd-per-month 320] [--pay-per-run-usd 0.17] [--project ID]
Reads jobs from Firestore (the emulator when FIRESTORE_EMULATOR_HOST is set), and prints volume and
cost by tier and backend (every attempt, whatever its outcome), what was spent on jobs that did not
succeed, and the break-even between a fixed-price GPU pod and paying per run. The total is the sum of
the jobs' costUsd.`;

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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const now = new Date();
  const since = parseSince(values.since, now);
  const until = values.until ? new Date(values.until) : now;
  const podUsdPerMonth = Number(values['pod-usd-per-month']);
  if (!(podUsdPerMonth > 0)) throw new Error('--pod-usd-per-month must be a positive number');

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
  const payPerRun = values['pay-per-run-usd'] ? Number(values['pay-per-run-usd']) : report.replicateUsdPerVideo ?? 0.17;
  const periodDays = (until.getTime() - since.getTime()) / 86_400_000;
  const even = breakEven(report, { podUsdPerMonth, payPerRunUsdPerVideo: payPerRun, periodDays });

  const out = formatCostReport(report, { since, until });
  if (unreadable > 0) out.push(`${unreadable} job documents could not be read and are not counted.`);
  out.push('');
  out.push(`Break-even: a $${podUsdPerMonth}/month pod against $${payPerRun.toFixed(4)} a video pays off at ${Math.ceil(even.videosPerMonth)} videos a month.`);
  out.push(`This period projects to ${even.projectedVideosPerMonth.toFixed(0)} GPU-tier videos a month: ${even.cheaper === 'pod' ? 'a fixed pod is cheaper' : 'pay-per-run is cheaper'}.`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`cost-report: ${error.message}\n`);
  process.exit(1);
});
