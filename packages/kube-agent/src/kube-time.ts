/** A metav1.Time: RFC 3339 with whole seconds, as the apiserver stores it. */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
