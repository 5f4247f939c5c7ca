import { sql } from 'kysely';
import type { Executor } from '../types.js';
import type { DiagnosisCount } from './recent-diagnoses.js';

/** Diagnosis codes the integration's connections hold now (a spike's re-diagnosis included). */
export async function currentDiagnoses(db: Executor, integrationId: string): Promise<DiagnosisCount[]> {
  const result = await sql<DiagnosisCount>`
    SELECT diagnosis->>'code' AS code, count(*)::int AS connections, count(DISTINCT org_id)::int AS orgs
    FROM connections
    WHERE integration_id = ${integrationId}::uuid AND diagnosis IS NOT NULL
    GROUP BY 1`.execute(db);
  return result.rows.map((r) => ({ code: r.code, connections: Number(r.connections), orgs: Number(r.orgs) }));
}
