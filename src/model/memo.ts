/**
 * A value remembered per object and key, for as long as the object lives: what several hosts or rules
 * compute from the same rule or chain (its address matches, its exposures) is computed once. The
 * values are shared, so callers must not mutate them.
 */
export function memoPerObject<K extends object, V>(): (owner: K, key: string, compute: () => V) => V {
  const memo = new WeakMap<K, Map<string, V>>();
  return (owner, key, compute) => {
    let byKey = memo.get(owner);
    if (!byKey) memo.set(owner, (byKey = new Map()));
    let value = byKey.get(key);
    if (value === undefined && !byKey.has(key)) byKey.set(key, (value = compute()));
    return value as V;
  };
}
