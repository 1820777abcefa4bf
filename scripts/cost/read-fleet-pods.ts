import type { Firestore } from 'firebase-admin/firestore';
import { z } from 'zod';
import { FLEET_STATE_DOCUMENT } from '@vidgen/contract';
import type { PodBillingRecord, RunpodClient } from '@vidgen/runpod';
import type { BillingWindow, KnownPod } from './fleet-spend';

/** The pods of the controller's last tick, as `fleet/state` records them; only the fields read here. */
const RecordedPodsSchema = z.array(z.object({ id: z.string(), name: z.string(), costPerHour: z.number().nullable().optional() }));

/**
 * The account's pod billing over the window, and the pods whose names are known: RunPod's list
 * first (it has no terminated pods), then those `fleet/state` recorded at the controller's last tick.
 */
export async function readFleetPods(runpod: RunpodClient, db: Firestore, window: BillingWindow): Promise<{ records: PodBillingRecord[]; known: KnownPod[] }> {
  const [billing, listed, state] = await Promise.all([
    runpod.podBilling({ startTime: window.start, endTime: window.end, bucketSize: window.bucketSize }),
    runpod.listPods(),
    db.doc(FLEET_STATE_DOCUMENT).get(),
  ]);
  const recorded = RecordedPodsSchema.safeParse(state.get('pods'));
  return {
    records: billing.records,
    known: [
      ...listed.map((pod) => ({ id: pod.id, name: pod.name, usdPerHour: pod.cost })),
      ...(recorded.success ? recorded.data.map((pod) => ({ id: pod.id, name: pod.name, usdPerHour: pod.costPerHour ?? null })) : []),
    ],
  };
}
