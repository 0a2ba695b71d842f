import { appEventSchema, type AppEvent } from '../../../shared/events.ts';
import { liveTopicSchemas, type LiveEvent, type LiveTopic } from '../../../shared/live-events.ts';

/** A stream entry as a live subscriber gets it: its stream id, topic and public projection. */
export interface LiveItem {
  id: string;
  topic: LiveTopic;
  event: LiveEvent;
}

/** Which topic each event type is published on; types absent here (views, logins) are never sent live. */
const topicOfType = new Map<string, LiveTopic>([
  ['post.created', 'posts'],
  ['post.updated', 'posts'],
  ['post.deleted', 'posts'],
  ['trending.changed', 'trending'],
] satisfies [AppEvent['type'], LiveTopic][]);

/**
 * The stream entry's fields for `event`, checked against the shared schema first. zod objects drop
 * keys they do not list, so a caller's extra field (an email passed by mistake) is never written.
 * @throws ZodError for an event that does not match its schema (a bug in the caller).
 */
export function encodeEvent(event: AppEvent): [type: string, data: string] {
  const parsed = appEventSchema.parse(event);
  return [parsed.type, JSON.stringify(parsed)];
}

export type DecodeResult =
  | { kind: 'live'; item: LiveItem }
  /** A valid event of a type no topic publishes (e.g. `user.login`). */
  | { kind: 'private' }
  /** Not JSON, or not an event of its topic: written by a buggy or foreign producer. */
  | { kind: 'invalid' };

/**
 * Reads one stream entry (`[field, value, ...]` as XRANGE/XREAD return it) into what a live
 * subscriber may see: the `data` JSON parsed through its topic's public schema, which keeps only
 * the listed fields. This is the only way an entry reaches a subscriber, live or replayed.
 */
export function decodeEntry(id: string, fields: readonly string[]): DecodeResult {
  let data: unknown;
  try {
    data = JSON.parse(fieldValue(fields, 'data') ?? '');
  } catch {
    return { kind: 'invalid' };
  }
  const type = (data as { type?: unknown } | null)?.type;
  const topic = typeof type === 'string' ? topicOfType.get(type) : undefined;
  if (!topic) return appEventSchema.safeParse(data).success ? { kind: 'private' } : { kind: 'invalid' };
  const parsed = liveTopicSchemas[topic].safeParse(data);
  return parsed.success ? { kind: 'live', item: { id, topic, event: parsed.data } } : { kind: 'invalid' };
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
