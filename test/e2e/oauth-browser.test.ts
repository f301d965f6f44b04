// The OAuth pages in a real browser: Debian's Chromium, headless, driven by playwright-core (no browser
// download). A person signs in at the OpenID provider, reads the consent page and allows; the consent
// page refuses to be framed, and a form posted to it from another origin is refused. Locally a missing
// Chromium skips this file (`apt-get install -y chromium`); with CI=true it is required.

import { createServer, type Server } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { BROWSER_TAG, CHROMIUM, CHROMIUM_INSTALL, runBrowserTests } from "../support/browser.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../support/gateway.js";
import { IDP_CLIENT_SECRET, startIdp, type Idp } from "../../demo/idp.js";
import { PORTS } from "../support/ports.js";


const BASE = `http://127.0.0.1:${PORTS.oauthGateway}`;
const CLIENT_HOST = `http://127.0.0.1:${PORTS.clientHost}`;
const CLIENT_ID = `${CLIENT_HOST}/browser-client.json`;
const REDIRECT = `${CLIENT_HOST}/callback`;

function authorizeUrl(): string {
  const challenge = createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url");
  const url = new URL(`${BASE}/oauth/authorize`);
  url.search = new URLSearchParams({ response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "browser-state", resource: `${BASE}/mcp/everything` }).toString();
  return url.href;
}

describe.skipIf(!runBrowserTests)(`${BROWSER_TAG} the OAuth pages in headless Chromium (${CHROMIUM_INSTALL})`, () => {
  let gateway: Gateway;
  let idp: Idp;
  let clientHost: Server;
  let browser: Browser;
  /** The consent form's hidden fields, captured by the page the attacker serves. */
  let attackForm = "";

  beforeAll(async () => {
    clientHost = createServer((request, response) => {
      const path = new URL(request.url ?? "/", CLIENT_HOST).pathname;
      if (path === "/browser-client.json") {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ client_id: CLIENT_ID, client_name: "Browser Test Client", redirect_uris: [REDIRECT] }));
      } else if (path === "/callback") {
        response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>client callback</title><p>back at the client</p>");
      } else if (path === "/frame.html") {
        response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><title>framer</title><iframe name="victim" src="${BASE}/oauth/callback?state=framed"></iframe>`);
      } else if (path === "/attack.html") {
        response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><title>attacker</title><form id="f" method="post" action="${BASE}/oauth/consent">${attackForm}<input name="decision" value="allow"></form><script>document.getElementById("f").submit()</script>`);
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => clientHost.listen(PORTS.clientHost, "127.0.0.1", resolve));
    idp = await startIdp(PORTS.idp, [`${BASE}/oauth/callback`]);
    gateway = await startGateway({ port: PORTS.oauthGateway, bindings: { ...TEST_SECRETS, OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET, INSECURE_DEV_LOOPBACK_CLIENT_METADATA: "true" } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await idp?.close();
    clientHost?.closeAllConnections();
    await new Promise((resolve) => clientHost?.close(resolve));
  });

  async function signInToConsent() {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl());
    await page.locator('input[name="login"]').fill("alice");
    await page.locator('input[name="password"]').fill("any");
    await page.locator('button[type="submit"]').click();
    await page.getByRole("heading", { name: "Allow access?" }).waitFor();
    return { context, page };
  }

  it("signs a person in at the provider, shows an accessible consent page, and returns to the client with a code and iss", async () => {
    const { context, page } = await signInToConsent();
    const text = await page.locator("main").innerText();
    for (const shown of ["Browser Test Client", CLIENT_ID, CLIENT_HOST, `${BASE}/mcp/everything`, "developer", "alice@example.com"]) expect(text).toContain(shown);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    // The style element is the page's only resource, allowed by its nonce: the CSP did not block it.
    expect(await page.locator("button").first().evaluate((button) => (globalThis as unknown as { getComputedStyle(element: unknown): { paddingLeft: string } }).getComputedStyle(button).paddingLeft)).toBe("19.2px");
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.href.startsWith(REDIRECT));
    const landing = new URL(page.url());
    expect(landing.searchParams.get("code")).toMatch(/^mcpw_/);
    expect(landing.searchParams.get("iss")).toBe(BASE);
    expect(landing.searchParams.get("state")).toBe("browser-state");
    await context.close();
  });

  it("refuses to be framed by another page", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${CLIENT_HOST}/frame.html`);
    await page.waitForLoadState("load");
    const frame = page.frame({ name: "victim" })!;
    // A frame the browser blocked holds Chromium's error page, not the gateway's.
    expect(await frame.content()).not.toContain("mcp-warden");
    await context.close();
  });

  it("refuses a consent form another site posts in the user's browser", async () => {
    const { context, page } = await signInToConsent();
    const request = await page.locator('input[name="request"]').getAttribute("value");
    const csrf = await page.locator('input[name="csrf"]').getAttribute("value");
    // The attacker even knows the form's values; the browser still says where the post came from.
    attackForm = `<input name="request" value="${request}"><input name="csrf" value="${csrf}">`;
    const attacker = await context.newPage();
    const answer = attacker.waitForResponse((response) => response.url() === `${BASE}/oauth/consent`);
    await attacker.goto(`${CLIENT_HOST}/attack.html`);
    expect((await answer).status()).toBe(403);
    expect(await attacker.locator("main").innerText()).toContain("This form can only be sent from this site.");
    // The real page still works: the request was not consumed by the refused post.
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.href.startsWith(REDIRECT));
    expect(new URL(page.url()).searchParams.get("code")).toMatch(/^mcpw_/);
    await context.close();
  });
});
