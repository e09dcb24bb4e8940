/**
 * Values of a metric label that a caller chooses (a route named in the authURI, an endpoint named
 * in the path): each distinct value is a time series, so after `max` distinct values the rest count
 * under `other`, and a client cannot grow the registry without bound.
 */
export class BoundedLabelValues {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
