// Salesforce record ids come as 15 case-sensitive characters or 18 case-insensitive ones
// (a 3-character checksum of the letter case appended). The ledger keys on the 18-character
// form so both spellings of one user match.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function toSalesforceId18(id: string): string | null {
  if (/^[a-zA-Z0-9]{18}$/.test(id)) return id;
  if (!/^[a-zA-Z0-9]{15}$/.test(id)) return null;
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += ALPHABET.charAt(bits);
  }
  return id + suffix;
}

/** Org and user ids from an identity URL (`…/id/{orgId}/{userId}`), as 18 characters. */
export function parseIdentityUrl(idUrl: string): { orgId: string; userId: string } | null {
  let path: string;
  try {
    path = new URL(idUrl).pathname;
  } catch {
    return null;
  }
  const match = /\/id\/([a-zA-Z0-9]{15,18})\/([a-zA-Z0-9]{15,18})\/?$/.exec(path);
  if (!match) return null;
  const orgId = toSalesforceId18(match[1]!);
  const userId = toSalesforceId18(match[2]!);
  return orgId && userId ? { orgId, userId } : null;
}
