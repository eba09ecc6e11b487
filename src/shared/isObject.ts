/** True for a JSON object (not null, not an array): what a schema, a layer or a config must be. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
