// Helpers for building plain data from untrusted keys.

/**
 * Sets an own, enumerable property even when the key is `__proto__` (a plain assignment would
 * change the object's prototype instead). Use it wherever keys come from user input.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
