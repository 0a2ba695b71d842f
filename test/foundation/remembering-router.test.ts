import { TrieRouter } from 'hono/router/trie-router';
import { describe, expect, it } from 'vitest';
import { RememberingRouter } from '../../server/transport/remembering-router.ts';

const routes: [string, string, string][] = [
  ['ALL', '/*', 'context'],
  ['GET', '/posts/trending', 'trending'],
  ['GET', '/posts/:id', 'post'],
  ['POST', '/posts', 'create'],
];
const build = <R extends TrieRouter<string> | RememberingRouter<string>>(router: R) => {
  for (const [m, p, h] of routes) router.add(m, p, h);
  return router;
};

describe('RememberingRouter', () => {
  it('answers as the TrieRouter does, the same answer object for a repeated path', () => {
    const trie = build(new TrieRouter<string>());
    const remembering = build(new RememberingRouter<string>());
    for (const [method, path] of [['GET', '/posts/trending'], ['GET', '/posts/7'], ['POST', '/posts'], ['DELETE', '/posts/7'], ['GET', '/constructor']]) {
      expect(remembering.match(method!, path!)).toEqual(trie.match(method!, path!));
    }
    expect(remembering.match('GET', '/posts/7')).toBe(remembering.match('GET', '/posts/7'));
  });

  it('forgets everything when full, and never remembers a long path', () => {
    const router = build(new RememberingRouter<string>(2));
    const first = router.match('GET', '/posts/1');
    router.match('GET', '/posts/2');
    router.match('GET', '/posts/3'); // full: forgets /posts/1 and /posts/2
    expect(router.match('GET', '/posts/1')).not.toBe(first);
    const long = `/posts/${'9'.repeat(300)}`;
    expect(router.match('GET', long)).not.toBe(router.match('GET', long));
    expect(router.match('GET', long)[0].map(([h]) => h)).toEqual(['context', 'post']);
  });

  it('forgets its answers when a route is added', () => {
    const router = build(new RememberingRouter<string>());
    expect(router.match('GET', '/health')[0].map(([h]) => h)).toEqual(['context']);
    router.add('GET', '/health', 'health');
    expect(router.match('GET', '/health')[0].map(([h]) => h)).toEqual(['context', 'health']);
  });
});
