// A browser app that creates a client and calls one query: what test/package/consumer.test.ts bundles and weighs.
import { createClient } from 'redis-blog-api/client';

const api = createClient({ url: location.origin });
const post = await api.posts.get.query({ id: 1 });
document.title = post.data.title;
