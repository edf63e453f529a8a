// The `filters` query parameter, encoded in the map form docker sends:
// `{"role":{"manager":true}}` (api/types/filters).

/** Filter name → accepted values. Values of one name are OR-ed, names are AND-ed. */
export type Filters = Record<string, readonly string[]>;

/** JSON for `?filters=`, or undefined when there is nothing to filter on. */
export function encodeFilters(filters: Filters | undefined): string | undefined {
  if (filters === undefined) return undefined;
  const names = Object.keys(filters)
    .filter((k) => (filters[k]?.length ?? 0) > 0)
    .sort();
  if (names.length === 0) return undefined;
  // Keys sorted so the encoding is deterministic, as Go's map marshalling is.
  const out: Record<string, Record<string, boolean>> = {};
  for (const name of names) {
    const values: Record<string, boolean> = {};
    for (const v of [...(filters[name] ?? [])].sort()) values[v] = true;
    out[name] = values;
  }
  return JSON.stringify(out);
}

/** Adds one `name=value` pair, returning a new object. */
export function addFilter(filters: Filters, name: string, value: string): Filters {
  return { ...filters, [name]: [...(filters[name] ?? []), value] };
}
