// The time bound of a fault test, asserted by waiting: the promise must settle before a generous
// timer fires. Never a measurement of speed (DEVELOPERS.md: no timing assertions).
export function beforeDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
