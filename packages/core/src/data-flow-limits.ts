// Bounds of the data-flow features (outputs, references, conditions, maps, child runs, approvals).
// Each is enforced where the value enters and named in the error that refuses it.

export const DATA_FLOW_LIMITS = {
  /** Bytes of one output value (local and container runtimes). */
  maxOutputBytes: 64 * 1024,
  /** Declared outputs per task (and per DAG). */
  maxOutputsPerTask: 32,
  /**
   * Bytes of a Kubernetes container's termination message (the kubelet's limit): every output of a
   * task in a pod travels in it (length-prefixed records), so together they must fit.
   */
  maxTerminationMessageBytes: 4096,
  /** Instances of one mapped task (`withItems` / `withParam`). */
  maxMapInstances: 10_000,
  /** Items written inline in `withItems`. */
  maxInlineItems: 1_000,
  /** Characters of a `when` expression. */
  maxConditionChars: 4096,
  /** Nesting of child runs (`dagRef`): a run at this depth cannot start another. */
  maxDagDepth: 10,
  /** Inputs of an approval, and bytes of one input value or of the comment. */
  maxApprovalInputs: 16,
  maxApprovalValueBytes: 4096,
  /** Environment variables declared by a task. */
  maxEnvVars: 64,
} as const;
