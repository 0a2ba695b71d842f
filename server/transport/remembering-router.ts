import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/** Paths longer than this are matched afresh each time: they are not what requests repeat. */
const MAX_REMEMBERED_PATH = 256;

/**
 * Hono's TrieRouter, with its answers remembered per method and path. The routes need the
 * TrieRouter (Hono's RegExpRouter cannot hold `/posts/trending` beside `/posts/:id`), whose match
 * walks the tree and sorts the handlers on every request, while the paths of a busy API repeat.
 * At most `capacity` answers are kept; then all are forgotten at once. An answer is never
 * changed by Hono, so requests can share it.
 */
export class RememberingRouter<T> implements Router<T> {
  readonly name = 'RememberingRouter';
  readonly #router = new TrieRouter<T>();
  readonly #answers = new Map<string, Result<T>>();

  constructor(private readonly capacity = 1000) {}

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_REMEMBERED_PATH) return this.#router.match(method, path);
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      if (this.#answers.size >= this.capacity) this.#answers.clear();
      answer = this.#router.match(method, path);
      this.#answers.set(key, answer);
    }
    return answer;
  }
}
