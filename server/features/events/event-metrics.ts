import { Counter, Gauge } from 'prom-client';
import type { AppEventType } from '../../../shared/events.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { DecodeResult } from './event-codec.ts';
import type { SubscriberOutcome } from './event-hub.ts';

/** The events feature's own series, on the app's registry; every label value comes from a fixed set. */
export function createEventsMetrics(metrics: Metrics, subscribers: () => number) {
  const registers = [metrics.registry];
  const published = new Counter({
    name: 'blog_api_events_published_total',
    help: 'Events written to the event stream, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const read = new Counter({
    name: 'blog_api_live_events_read_total',
    help: "Stream entries this instance's live reader read, by outcome (live: fanned out; private: no public topic; invalid: not a valid event)",
    labelNames: ['outcome'] as const,
    registers,
  });
  const ended = new Counter({
    name: 'blog_api_live_subscribers_ended_total',
    help: 'Live subscribers that ended, by reason (closed, shutdown, slow: dropped for falling behind; refused: at the instance cap; refused_client: at the per-client cap)',
    labelNames: ['reason'] as const,
    registers,
  });
  new Gauge({
    name: 'blog_api_live_subscribers',
    help: 'Live-event subscribers connected to this instance',
    registers,
    collect() {
      this.set(subscribers());
    },
  });
  return {
    published: (type: AppEventType) => published.inc({ type }),
    entryRead: (outcome: DecodeResult['kind']) => read.inc({ outcome }),
    subscriberEnded: (reason: SubscriberOutcome) => ended.inc({ reason }),
  };
}
