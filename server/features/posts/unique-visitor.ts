import type { Logger } from '../../logger.ts';
import type { Services } from '../../services.ts';

export interface Viewer {
  session: { userId: number } | null;
  clientIp: string;
  userAgent: string;
}

/**
 * Adds the viewer to the post's unique visitors of the day (HyperLogLog, analytics feature) after
 * the answer is ready. Not awaited: a failure is logged and costs one visitor, never the read.
 */
export function countUniqueVisitor(services: Pick<Services, 'analytics'>, postId: number, viewer: Viewer, log: Logger): void {
  services.analytics.recordView({ postId, ...viewer }).catch((err: unknown) => log.warn('unique visitor not recorded', { postId, err }));
}
