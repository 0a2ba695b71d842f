// A form that validates before it sends: it takes the runtime schemas, and zod with them.
import { createPostInputSchema } from 'redis-blog-api/schemas';

export const valid = (title: string, content: string): boolean => createPostInputSchema.safeParse({ title, content }).success;
