import { expect, test } from "@playwright/test";
import { browse, firstLogIn, startServer, Server } from "./server";

// The console runs under its own strict Content-Security-Policy (scripts only with the page's
// nonce, nothing framed), and the bubble under the one the README gives customer sites (the
// demo site serves it). A whole chat, the settings preview included, reports no violation.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("the console and the bubble work under strict policies with no violation", async ({ browser }) => {
  const ada = await browse(browser, server.baseURL);
  const login = await ada.page.goto("/login");
  const policy = login?.headers()["content-security-policy"] ?? "";
  expect(policy).toMatch(/script-src 'self' 'nonce-[0-9a-f]{32}' 'wasm-unsafe-eval'/);
  expect(policy).not.toContain("unsafe-inline");
  expect(policy).toContain("frame-ancestors 'none'");
  await firstLogIn(ada.page, server.adminEmail);

  const vera = await browse(browser, server.baseURL);
  const demo = await vera.page.goto("/demo");
  const customer = demo?.headers()["content-security-policy"] ?? "";
  expect(customer).toContain(`script-src ${server.baseURL};`);
  expect(customer, "the bubble needs no WebAssembly").not.toContain("wasm-unsafe-eval");
  expect(customer).not.toContain("unsafe-inline");
  await vera.page.getByTestId("sb-launcher").click();
  await vera.page.getByTestId("sb-name").fill("Vera");
  await vera.page.getByTestId("sb-first-message").fill("Does this work under CSP?");
  await vera.page.getByTestId("sb-start").click();
  await expect(vera.page.getByTestId("sb-waiting")).toBeVisible();

  const waiting = ada.page.getByTestId("waiting-list").getByTestId("chat-row");
  await expect(waiting).toHaveCount(1);
  await waiting.getByTestId("accept").click();
  await ada.page.getByTestId("entry").fill("It does.");
  await ada.page.getByTestId("entry").press("Enter");
  await expect(vera.page.getByTestId("sb-messages").locator('[data-author="operator"]')).toContainText("It does.");
  // The bubble's accent colour is set as a style property, which the policy allows.
  const accent = await vera.page
    .getByTestId("sb-panel")
    .evaluate((el) => (el as HTMLElement).style.getPropertyValue("--sb-accent"));
  expect(accent).toMatch(/^#[0-9a-f]{6}$/i);

  // The bubble settings' preview frames the demo page inside the console.
  await ada.page.goto("/admin/bubble");
  const preview = ada.page.frameLocator('[data-testid="bubble-preview-frame"]');
  await expect(preview.getByTestId("sb-launcher")).toBeVisible();

  expect(ada.errors, "errors in the console").toEqual([]);
  expect(vera.errors, "errors on the customer's page").toEqual([]);
});
