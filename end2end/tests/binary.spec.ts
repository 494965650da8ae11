import { browse, expect, firstLogIn, startServer, test, Server } from "./server";

// One binary (P1) and the operator API's tokens (P4). Every server of this suite runs in a fresh
// empty directory with no site folder anywhere (server.ts): the console and the bubble below
// come from the copy built into the binary. Their files are content-hashed and cached for good;
// the loader customer sites embed is revalidated.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("the site is built in, content-hashed and cached for good", async ({ browser, request }) => {
  const login = await request.get(`${server.baseURL}/login`);
  const html = await login.text();
  const bundle = html.match(/\/pkg\/([0-9a-f]{16})\/switchboard\.js/);
  expect(bundle, "the console page names its bundle under a content hash").not.toBeNull();
  const version = bundle![1];
  expect(html).toContain(`/pkg/${version}/switchboard.css`);
  for (const file of ["switchboard.js", "switchboard_bg.wasm", "switchboard.css"]) {
    const response = await request.get(`${server.baseURL}/pkg/${version}/${file}`, {
      headers: { "accept-encoding": "br, gzip" },
    });
    expect(response.status(), file).toBe(200);
    expect(response.headers()["cache-control"]).toContain("immutable");
    expect(response.headers()["content-encoding"]).toBe("br");
  }
  // Another build's folder is gone, not served stale.
  const stale = await request.get(`${server.baseURL}/pkg/0000000000000000/switchboard.js`);
  expect(stale.status()).toBe(404);
  // The one address customer sites embed is revalidated at each page view.
  const loader = await request.get(`${server.baseURL}/widget/loader.js`);
  expect(loader.status()).toBe(200);
  expect(loader.headers()["cache-control"]).toBe("no-cache");
  const again = await request.get(`${server.baseURL}/widget/loader.js`, {
    headers: { "if-none-match": loader.headers()["etag"] },
  });
  expect(again.status()).toBe(304);

  // The bubble's panel is fetched from its hashed folder, and works.
  const vera = await browse(browser, server.baseURL);
  try {
    const panel = vera.page.waitForResponse((r) => /\/widget\/[0-9a-f]{16}\/panel\.js$/.test(r.url()));
    await vera.page.goto("/demo");
    await vera.page.getByTestId("sb-launcher").click();
    const response = await panel;
    expect(response.headers()["cache-control"]).toContain("immutable");
    await expect(vera.page.getByTestId("sb-panel")).toBeVisible();
    expect(vera.errors).toEqual([]);
  } finally {
    await vera.context.close();
  }
});

test("an operator makes a token in My profile, uses it, and revokes it", async ({ browser, request }) => {
  server.addOperator("otto@example.com", "Otto");
  const otto = await browse(browser, server.baseURL);
  try {
    await firstLogIn(otto.page, "otto@example.com");
    await otto.page.getByTestId("nav-profile").click();
    await expect(otto.page.getByTestId("tokens-empty")).toBeVisible();
    await otto.page.getByTestId("token-name").fill("CRM sync");
    await otto.page.getByTestId("create-token").click();
    const secret = (await otto.page.getByTestId("token-secret").innerText()).trim();
    expect(secret).toMatch(/^sbp_[0-9a-f]{64}$/);
    await expect(otto.page.getByTestId("token-row")).toHaveCount(1);
    await expect(otto.page.getByTestId("token-row")).toContainText("CRM sync");
    await expect(otto.page.getByTestId("token-row")).toContainText("never");

    const me = await request.get(`${server.baseURL}/api/v1/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(me.status()).toBe(200);
    expect((await me.json()).email).toBe("otto@example.com");

    await otto.page.getByRole("button", { name: "Revoke the token CRM sync" }).click();
    await expect(otto.page.getByTestId("tokens-empty")).toBeVisible();
    const refused = await request.get(`${server.baseURL}/api/v1/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(refused.status()).toBe(401);
    expect((await refused.json()).error.code).toBe("unauthorized");
    expect(otto.errors).toEqual([]);
  } finally {
    await otto.context.close();
  }
});
