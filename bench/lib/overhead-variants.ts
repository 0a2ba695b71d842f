/** The servers of the `overhead` bench: what each one is, in bench/lib/overhead-server.ts. */
export const overheadVariants = ['bare', 'all', 'no-access-log', 'no-metrics', 'no-header-bag', 'plain-json', 'caller-id'] as const;
export type OverheadVariant = (typeof overheadVariants)[number];
