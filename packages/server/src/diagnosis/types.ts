// What diagnosis reads: the evidence a caller gathers (diagnosis itself does no I/O).
import type { Classification, ProviderFailure } from '../providers/classify.js';
import type { NamedCause } from '../providers/module-types.js';

/** Everything diagnosis knows, gathered by the caller (diagnosis does no I/O). */
export interface DiagnosisEvidence {
  failure: ProviderFailure;
  classification: Classification;
  /** The cause the provider's answer names, as its module reads it (null: none named). */
  namedCause: NamedCause | null;
  /** The provider's display name (its catalog `name`), used in the plain-words texts. */
  providerName: string;
  /** No successful refresh since the grant was authorized (only a known authorization time counts). */
  firstRefreshSinceAuthorization: boolean;
  /**
   * The grant failed the refresh the connect flow made right after the code exchange (this
   * refresh, or an earlier one whose diagnosis the grant still carries): nobody had a chance
   * to revoke it, so its death is the provider's policy.
   */
  failedVerification: boolean;
  /** The grant was imported (a token obtained elsewhere) and has not refreshed once since. */
  importedNeverRefreshed: boolean;
  /** A prior outcome `unknown`, an `in_flight` without outcome, or a refresh token older than a rotation we saw. */
  rotationUncertain: boolean;
  /** From the grant ledger: newer live grants for the same (provider, client_id, org, user); null when unknown. */
  newerLiveGrantsForSameProviderUser: number | null;
  /** The provider's max live grants per user per app (from the catalog); null when it has none or it is unknown. */
  grantLimit: number | null;
  /** How long the grant was unused before this failure. */
  idleSeconds: number | null;
  /** The provider's known idle limit; null when unknown. */
  providerIdleLimitS: number | null;
  /** An active failure spike covering this connection's org (orgId set) or its whole integration (orgId null). */
  orgSpike: { orgId: string | null; count: number; windowS: number } | null;
  /**
   * Another org of the same integration got an IP refusal within the spike window (or this grant
   * was already explained that way): the refusals follow Grantkeeper's egress, not one org's
   * policy. Absent means no.
   */
  ipRestrictedElsewhere?: boolean;
}
