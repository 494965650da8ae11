import { Browser, Page } from "@playwright/test";
import * as path from "node:path";
import { browse, Browsing, expect, startServer, test, Server } from "./server";

// A visitor on the demo site and an operator in the console talk both ways; the waiting badge
// and the unread badges follow. Screenshots for the README are taken along the way.

const screenshots = path.join(__dirname, "..", "..", "docs", "screenshots");

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

function context(browser: Browser): Promise<Browsing> {
  return browse(browser, server.baseURL);
}

async function operatorLogsIn(page: Page) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill(server.adminEmail);
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Log in" }).click();
  // The default password must be changed before anything else.
  await expect(page).toHaveURL(/\/password$/);
  await page.getByLabel("Current password").fill("password");
  await page.getByLabel("New password", { exact: true }).fill("operator-secret-1");
  await page.getByLabel("Repeat the new password").fill("operator-secret-1");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
}

async function visitorStartsChat(page: Page, name: string, message: string) {
  await page.getByTestId("sb-launcher").click();
  await expect(page.getByTestId("sb-panel")).toBeVisible();
  await page.getByTestId("sb-name").fill(name);
  await page.getByTestId("sb-first-message").fill(message);
  await page.getByTestId("sb-start").click();
  await expect(page.getByTestId("sb-waiting")).toBeVisible();
}

test("a visitor and an operator chat live, with badges", async ({ browser }) => {
  const operator = await context(browser);
  await operatorLogsIn(operator.page);
  // The wrong password tried above is logged by Chromium as a failed (401) request; from here on
  // nothing may fail.
  operator.errors.length = 0;
  await expect(operator.page.getByTestId("badge-waiting")).toHaveCount(0);

  // The host page runs only the small loader until the visitor opens the bubble, which then
  // loads the panel's script and stylesheet, and never any WebAssembly.
  const visitor = await context(browser);
  const loaded: string[] = [];
  visitor.page.on("request", (request) => {
    if (/\.(wasm|js|css)$/.test(request.url())) loaded.push(request.url());
  });
  await visitor.page.goto("/demo");
  await expect(visitor.page.getByTestId("sb-launcher")).toBeVisible();
  await visitor.page.waitForTimeout(500);
  expect(loaded.filter((url) => !url.endsWith("/widget/loader.js")), "only the loader before the bubble opens").toEqual([]);
  await visitorStartsChat(visitor.page, "Vera", "Hello, I need help with my order");
  // From this build's content-hashed folder, cached for good.
  expect(loaded.some((url) => /\/widget\/[0-9a-f]{16}\/panel\.js$/.test(url))).toBeTruthy();
  expect(loaded.filter((url) => url.endsWith(".wasm")), "the bubble loads no WebAssembly").toEqual([]);
  expect(loaded.some((url) => url.includes("/pkg/")), "the bubble never loads the console bundle").toBeFalsy();

  // The waiting chat reaches the dashboard live, with the badge.
  const waiting = operator.page.getByTestId("waiting-list").getByTestId("chat-row");
  await expect(waiting).toHaveCount(1);
  await expect(waiting).toContainText("Vera");
  await expect(operator.page.getByTestId("badge-waiting")).toHaveText("1");
  await operator.page.screenshot({ path: path.join(screenshots, "console-dashboard.png") });

  await waiting.getByTestId("accept").click();
  await expect(operator.page).toHaveURL(/\/chats$/);
  await expect(operator.page.getByTestId("badge-waiting")).toHaveCount(0);
  const messages = operator.page.getByTestId("messages");
  await expect(messages).toContainText("Hello, I need help with my order");

  // Operator → visitor (Enter sends).
  await operator.page.getByTestId("entry").fill("Hi Vera, I'm Admin. What is your order number?");
  await operator.page.getByTestId("entry").press("Enter");
  const visitorMessages = visitor.page.getByTestId("sb-messages");
  await expect(visitorMessages.locator('[data-author="operator"]')).toContainText("What is your order number?");
  await expect(visitor.page.getByTestId("sb-waiting")).toHaveCount(0);

  // Visitor → operator, with Shift+Enter for a new line.
  const input = visitor.page.getByTestId("sb-input");
  await input.fill("It is 12345.");
  await input.press("Shift+Enter");
  await input.pressSequentially("Thanks!");
  await input.press("Enter");
  await expect(messages.locator('[data-author="visitor"]').last()).toHaveText(/It is 12345\.\nThanks!/);
  await expect(input).toHaveValue("");

  // Away from My Chats, a new message raises the unread badge; reading it clears the badge.
  await operator.page.getByTestId("nav-dashboard").click();
  await visitor.page.getByTestId("sb-input").fill("Are you still there?");
  await visitor.page.getByTestId("sb-input").press("Enter");
  await expect(operator.page.getByTestId("badge-unread")).toHaveText("1");
  await operator.page.getByTestId("nav-my-chats").click();
  await expect(messages).toContainText("Are you still there?");
  await expect(operator.page.getByTestId("badge-unread")).toHaveCount(0);

  // A second visitor: two tabs, and the tab not shown counts its own unread messages.
  const second = await context(browser);
  await second.page.goto("/demo/pricing");
  await visitorStartsChat(second.page, "Walt", "Do you ship to Norway?");
  await expect(operator.page.getByTestId("badge-waiting")).toHaveText("1");
  await operator.page.getByTestId("nav-dashboard").click();
  await operator.page.getByTestId("waiting-list").getByTestId("accept").click();
  await expect(operator.page.getByTestId("chat-tab")).toHaveCount(2);
  await expect(messages).toContainText("Do you ship to Norway?");
  await visitor.page.getByTestId("sb-input").fill("Hello?");
  await visitor.page.getByTestId("sb-input").press("Enter");
  const veraTab = operator.page.getByTestId("chat-tab").filter({ hasText: "Vera" });
  await expect(veraTab.getByTestId("tab-unread")).toHaveText("1");
  await expect(operator.page.getByTestId("badge-unread")).toHaveText("1");
  await veraTab.click();
  await expect(messages).toContainText("Hello?");
  await expect(veraTab.getByTestId("tab-unread")).toHaveCount(0);
  await expect(operator.page.getByTestId("badge-unread")).toHaveCount(0);
  await operator.page.screenshot({ path: path.join(screenshots, "console-my-chats.png") });

  // The conversation survives navigating the host site and reloading.
  await visitor.page.goto("/demo/pricing");
  await expect(visitor.page.getByTestId("sb-panel")).toBeVisible();
  await expect(visitorMessages).toContainText("What is your order number?");
  await expect(visitorMessages).toContainText("Hello?");
  await visitor.page.reload();
  await expect(visitorMessages).toContainText("Are you still there?");
  await visitor.page.getByTestId("sb-input").fill("Back after a reload");
  await visitor.page.getByTestId("sb-input").press("Enter");
  await expect(messages).toContainText("Back after a reload");
  await expect(visitorMessages.getByText("Back after a reload")).toHaveCount(1);
  await visitor.page.screenshot({ path: path.join(screenshots, "bubble.png") });

  // End chat: the visitor's part ends and the operator sees the chat go vacant.
  await visitor.page.getByTestId("sb-end").click();
  await expect(visitor.page.getByTestId("sb-new-chat")).toBeVisible();
  await expect(messages).toContainText("The visitor left the chat");
  await expect(operator.page.getByTestId("chat-status")).toHaveText("vacant");

  expect(operator.errors, "console errors in the operator console").toEqual([]);
  expect(visitor.errors, "console errors on the visitor's page").toEqual([]);
  await Promise.all([operator.context.close(), visitor.context.close(), second.context.close()]);
});
