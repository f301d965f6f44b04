// A minimal user agent for OAuth tests without a browser: follows redirects by hand with a cookie jar
// per host, fills the OpenID provider's login form and answers the gateway's consent form, as a
// person's browser would, and stops at the client's redirect URI. The browser test (test/e2e/oauth-
// browser.test.ts) drives the same pages in real Chromium.

export type Visit = { url: URL; status: number; html?: string };

export class UserAgent {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every page (non-redirect answer) seen, for assertions on what the user was shown. */
  readonly pages: Visit[] = [];

  constructor(private readonly user: string) {}

  private cookies(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map()).entries()].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(url: URL, response: Response): void {
    const cookies = this.jar.get(url.host) ?? new Map<string, string>();
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const at = pair!.indexOf("=");
      const [name, value] = [pair!.slice(0, at).trim(), pair!.slice(at + 1).trim()];
      if (/max-age=0/i.test(header) || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(url.host, cookies);
  }

  async request(url: URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookies(url);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(url, { method: init.method ?? "GET", headers, redirect: "manual", ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}) });
    this.remember(url, response);
    return response;
  }

  /**
   * Starts at `start` and goes where redirects and forms lead until a redirect leaves for `stopAt`
   * (the client's redirect URI): that URL is returned. A page that is neither form is returned as a Visit.
   */
  async authorize(start: URL, stopAt: string, options: { consent?: "allow" | "deny" } = {}): Promise<URL | Visit> {
    let next: { url: URL; method?: string; form?: Record<string, string>; headers?: Record<string, string> } = { url: start };
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(next.url, next);
      if (response.status >= 300 && response.status < 400) {
        const location = new URL(response.headers.get("location")!, next.url);
        if (location.href.startsWith(stopAt)) return location;
        next = { url: location };
        continue;
      }
      const html = await response.text();
      const visit = { url: next.url, status: response.status, html };
      this.pages.push(visit);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (response.status !== 200 || !action) return visit;
      const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!.replaceAll("&amp;", "&")]));
      const target = new URL(action.replaceAll("&amp;", "&"), next.url);
      if (html.includes('name="login"')) {
        next = { url: target, method: "POST", form: { ...fields, login: this.user, password: "any" } };
      } else if (html.includes('name="decision"')) {
        next = { url: target, method: "POST", form: { ...fields, decision: options.consent ?? "allow" }, headers: { origin: target.origin, "sec-fetch-site": "same-origin" } };
      } else {
        next = { url: target, method: "POST", form: fields };
      }
    }
    throw new Error("the authorization did not end within 20 hops");
  }
}
