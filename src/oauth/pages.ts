// The few pages a person sees during an OAuth login: consent, a refused login and an error. Server-
// rendered HTML with every interpolated value escaped and no script. The CSP allows nothing but the one
// <style> element (by a per-response nonce), forbids framing (`frame-ancestors 'none'`) and lets forms
// post only to this origin (`form-action 'self'`).

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{font-weight:600}
button{font:inherit;padding:.5rem 1.2rem;margin-right:.5rem}button:focus{outline:3px solid #1a5fb4}`;

/**
 * Whether `origin` may be written into the CSP header as a form-action source: an http(s) origin whose
 * host is a plain DNS name or an IP literal, so that no `;`, quote or space can start another directive.
 */
export function cspSourceAllowed(origin: string): boolean {
  return /^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/.test(origin);
}

/** `formTargets`: origins a form's answer may redirect to besides this one (browsers hold redirects to form-action). */
export function page(title: string, body: string, status = 200, formTargets: string[] = []): Response {
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · mcp-warden</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${["'self'", ...formTargets.filter(cspSourceAllowed)].join(" ")}; frame-ancestors 'none'; base-uri 'none'`,
      "x-frame-options": "DENY",
      "referrer-policy": "same-origin",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    },
  });
}

export function errorPage(title: string, reason: string, status: number): Response {
  return page(title, `<p role="alert">${escapeHtml(reason)}</p><p>You can close this window.</p>`, status);
}

export type ConsentView = {
  request: string;
  csrf: string;
  clientName: string;
  clientId: string;
  redirectOrigin: string;
  endpoint: string;
  user: string;
  roles: string[];
};

export function consentPage(view: ConsentView): Response {
  const roles = view.roles.map((role) => `<li>${escapeHtml(role)}</li>`).join("");
  return page(
    "Allow access?",
    `<p><strong>${escapeHtml(view.clientName)}</strong> wants to use an MCP endpoint as you (${escapeHtml(view.user)}).</p>
<dl><dt>Client</dt><dd>${escapeHtml(view.clientName)} <small>(${escapeHtml(view.clientId)})</small></dd>
<dt>Sends you back to</dt><dd>${escapeHtml(view.redirectOrigin)}</dd>
<dt>Endpoint</dt><dd>${escapeHtml(view.endpoint)}</dd>
<dt>With roles</dt><dd><ul>${roles}</ul></dd></dl>
<form method="post" action="/oauth/consent">
<input type="hidden" name="request" value="${escapeHtml(view.request)}"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button>
</form>`,
    200,
    [view.redirectOrigin],
  );
}
