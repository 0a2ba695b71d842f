/**
 * `make(key)`, remembered for the next call with the same key: for values the request path would
 * otherwise rebuild on every request (a token's hash, its Redis key names). Bounded: when `max`
 * keys are remembered, it forgets them all and starts again, so a flood of distinct keys costs
 * memory for at most `max` of them.
 */
export function memoize<K, V>(make: (key: K) => V, max = 10_000): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined && !made.has(key)) {
      if (made.size >= max) made.clear();
      value = make(key);
      made.set(key, value);
    }
    return value as V;
  };
}
