import { sql } from 'kysely';
import type { Executor } from '../types.js';

export interface DiagnosisCount {
  code: string;
  connections: number;
  orgs: number;
}

/** Diagnosis codes the integration's failed refreshes carried since `since` (events.detail.diagnosis); a spike's later re-diagnosis is in current-diagnoses.ts. */
export async function recentDiagnoses(db: Executor, integrationId: string, since: Date): Promise<DiagnosisCount[]> {
  const result = await sql<DiagnosisCount>`
    SELECT e.detail->>'diagnosis' AS code,
           count(DISTINCT e.connection_id)::int AS connections,
           count(DISTINCT c.org_id)::int AS orgs
    FROM events e LEFT JOIN connections c ON c.id = e.connection_id
    WHERE e.integration_id = ${integrationId}::uuid AND e.at >= ${since}
      AND e.type = 'refresh' AND e.detail->>'diagnosis' IS NOT NULL
    GROUP BY 1`.execute(db);
  return result.rows.map((r) => ({ code: r.code, connections: Number(r.connections), orgs: Number(r.orgs) }));
}
