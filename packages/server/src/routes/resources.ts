// DAGs and DagTasks by namespace: apply (create or update) from YAML, JSON or the DSL, get, list,
// delete, versions, validate. The shared parts are in resource-common.ts, the rest by kind in
// dags.ts and dagtasks.ts.
import type { AnyRoute } from '../route.js';
import { dagRoutes } from './dags.js';
import { dagTaskRoutes } from './dagtasks.js';
import { applyRoutes } from './resource-common.js';

export function resourceRoutes(): AnyRoute[] {
  return [...applyRoutes('DAG'), ...dagRoutes(), ...applyRoutes('DagTask'), ...dagTaskRoutes()];
}
