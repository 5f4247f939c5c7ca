// The redirect URI of every connect flow: what a developer registers at the provider as the
// OAuth app's callback URL, and what the flow sends in its authorization request and code
// exchange. One place, so the two can never differ.
export function callbackUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/oauth/callback`;
}
