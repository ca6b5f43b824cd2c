import { getContext, hasContext, setContext } from 'svelte';

export interface TypedContext<T> {
  /** Returns the value set by an ancestor; throws naming the context when none was set. */
  get(): T;
  set(value: T): T;
}

/** Creates a typed context whose getter fails with a clear message instead of returning undefined. */
export function defineContext<T>(name: string): TypedContext<T> {
  const key = Symbol(name);
  return {
    get() {
      if (!hasContext(key)) {
        throw new Error(`Missing context "${name}": render this component inside <App>, which sets it.`);
      }
      return getContext<T>(key);
    },
    set: (value) => setContext(key, value),
  };
}
