export { destinationPolicy, addressAllowed, hostAllowed, normalizeHost, REFUSED_RANGES, MAX_ALLOW_ENTRIES, type DestinationPolicy } from './destination-policy.js';
export { guardedAgent, guardedConnector, isDestinationRefused, destinationRefused, DESTINATION_REFUSED, type GuardedAgentOptions, type ResolveAll } from './guarded-agent.js';
