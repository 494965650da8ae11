import { Page } from "@playwright/test";
import { browse, expect, firstLogIn, startServer, test } from "./server";

// Channels and settings (A4 A5 O3 O18 O24 V1): the admin creates channels and puts an operator
// in one, binds the snippet to it and limits operators to one chat at a time; a bubble bound to
// the channel starts its chats there, an unbound one lets the visitor pick; the operator's
// dashboard filters to My channels (following the admin's changes live), moves a chat to
// another channel and is refused a second.

const OLGA = { email: "olga@example.com", name: "Olga" };

/** Opens a console page and waits until it runs in the browser. */
async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
}

async function createChannel(page: Page, name: string): Promise<string> {
  await page.getByTestId("channel-new-name").fill(name);
  await page.getByTestId("channel-create").click();
  const row = page.getByTestId("channel-row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(page.getByTestId("channel-new-name")).toHaveValue("");
  return (await row.getAttribute("data-channel-id")) ?? "";
}

test("channels route chats, filter the dashboard and the settings limit operators", async ({ browser }) => {
  const server = await startServer();
  server.addOperator(OLGA.email, OLGA.name);
  const [admin, olga, vera, bea] = [
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
  ];
  try {
    // The admin creates Sales and Support; a duplicate name is refused next to the field.
    await firstLogIn(admin.page, server.adminEmail);
    await open(admin.page, "/channels");
    await expect(admin.page.getByTestId("no-channels")).toBeVisible();
    const sales = await createChannel(admin.page, "Sales");
    const support = await createChannel(admin.page, "Support");
    await admin.page.getByTestId("channel-new-name").fill("sales");
    await admin.page.getByTestId("channel-create").click();
    await expect(admin.page.getByTestId("channel-new-error-name")).toContainText("already a channel called sales");

    // Olga serves Sales; visitors there need not give their name.
    const salesRow = admin.page.locator(`[data-testid="channel-row"][data-channel-id="${sales}"]`);
    await salesRow.getByTestId("channel-edit").click();
    const editor = salesRow.getByTestId("channel-editor");
    await editor.locator(`[data-testid="channel-operator"][data-email="${OLGA.email}"]`).check();
    await editor.getByTestId("channel-name-required").selectOption("no");
    await editor.getByTestId("channel-save").click();
    await expect(editor).toHaveCount(0);
    await expect(salesRow).toContainText("1 operator");

    // Settings: a bad value is named at its field; then one chat per operator.
    await open(admin.page, "/admin/settings");
    await admin.page.getByTestId("settings-away").fill("0");
    await admin.page.getByTestId("settings-save").click();
    await expect(admin.page.getByTestId("settings-error-away_after_minutes")).toContainText("from 1 to 240");
    await admin.page.getByTestId("settings-away").fill("5");
    await admin.page.getByTestId("settings-max-chats").fill("1");
    await admin.page.getByTestId("settings-save").click();
    await expect(admin.page.getByTestId("settings-saved")).toBeVisible();
    await expect(admin.page.getByTestId("settings-error-away_after_minutes")).toHaveCount(0);

    // The snippet generator binds the code to Sales.
    await open(admin.page, "/admin/bubble");
    await admin.page.getByTestId("bubble-channel").selectOption(sales);
    await expect(admin.page.getByTestId("bubble-snippet")).toContainText(`data-channel="${sales}"`);

    // Olga sees she serves Sales and switches her dashboard to My channels.
    await firstLogIn(olga.page, OLGA.email);
    await open(olga.page, "/channels");
    const olgaSales = olga.page.locator(`[data-testid="channel-row"][data-channel-id="${sales}"]`);
    await expect(olgaSales.getByTestId("channel-serving")).toBeVisible();
    await expect(olga.page.getByTestId("channel-edit")).toHaveCount(0);
    await olga.page.getByTestId("nav-dashboard").click();
    // The console then streams only her channels' changes (and those of chats in none).
    const mineStream = olga.page.waitForRequest((r) => {
      const url = new URL(r.url());
      return url.pathname === "/api/console/events" && url.searchParams.get("channels") === sales;
    });
    await olga.page.getByTestId("filter-mine").click();
    await mineStream;
    await expect(olga.page.getByTestId("filter-mine")).toHaveAttribute("aria-pressed", "true");
    // The browser remembers the choice.
    await open(olga.page, "/");
    await expect(olga.page.getByTestId("filter-mine")).toHaveAttribute("aria-pressed", "true");

    // Vera's site is bound to Sales: no department to pick, no name needed.
    await vera.page.goto(`/demo?channel=${sales}`);
    await vera.page.getByTestId("sb-launcher").click();
    await expect(vera.page.getByTestId("sb-first-message")).toBeVisible();
    await expect(vera.page.getByTestId("sb-channel")).toHaveCount(0);
    await vera.page.getByTestId("sb-first-message").fill("Do you ship to Norway?");
    await vera.page.getByTestId("sb-start").click();
    await expect(vera.page.getByText("Do you ship to Norway?")).toBeVisible();

    // Bea's site is not bound: she must pick a department first.
    await bea.page.goto("/demo");
    await bea.page.getByTestId("sb-launcher").click();
    await bea.page.getByTestId("sb-name").fill("Bea");
    await bea.page.getByTestId("sb-first-message").fill("My invoice is wrong");
    await bea.page.getByTestId("sb-start").click();
    await expect(bea.page.getByText("Please choose a department.")).toBeVisible();
    await bea.page.getByTestId("sb-channel").selectOption(support);
    await bea.page.getByTestId("sb-start").click();
    await expect(bea.page.getByText("My invoice is wrong")).toBeVisible();

    // My channels: only Vera's chat; All channels: both, each with its channel.
    const waiting = olga.page.getByTestId("waiting-list").getByTestId("chat-row");
    await expect(waiting).toHaveCount(1);
    await expect(waiting).toContainText("Visitor");
    await expect(waiting.getByTestId("chat-channel")).toHaveText("Sales");

    // The admin puts Olga in Support too: her My channels list follows without a reload.
    await open(admin.page, "/channels");
    const supportRow = admin.page.locator(`[data-testid="channel-row"][data-channel-id="${support}"]`);
    await supportRow.getByTestId("channel-edit").click();
    await supportRow.locator(`[data-testid="channel-operator"][data-email="${OLGA.email}"]`).check();
    await supportRow.getByTestId("channel-save").click();
    await expect(supportRow).toContainText("1 operator");
    await expect(waiting).toHaveCount(2);
    await olga.page.getByTestId("filter-all").click();
    await expect(waiting).toHaveCount(2);
    await expect(waiting.filter({ hasText: "Bea" }).getByTestId("chat-channel")).toHaveText("Support");

    // Olga takes Vera's chat and moves it to Support; only operators see the move.
    await waiting.filter({ hasText: "Sales" }).getByTestId("accept").click();
    await expect(olga.page).toHaveURL(/\/chats$/);
    await expect(olga.page.getByTestId("chat-channel-name")).toHaveText("Sales");
    await olga.page.getByTestId("move-channel").selectOption(support);
    await expect(olga.page.getByTestId("chat-channel-name")).toHaveText("Support");
    await expect(olga.page.getByText(`moved the chat to Support`)).toBeVisible();

    // One chat at a time: accepting Bea's is refused and she keeps waiting.
    await olga.page.getByTestId("nav-dashboard").click();
    await waiting.filter({ hasText: "Bea" }).getByTestId("accept").click();
    await expect(olga.page.getByTestId("notice")).toContainText("as many chats as allowed at once (1)");
    await expect(waiting.filter({ hasText: "Bea" })).toBeVisible();
    await expect(vera.page.getByText("moved the chat")).toHaveCount(0);

    // The refusals above answer 4xx on purpose (duplicate name, bad setting, one chat too many).
    for (const who of [admin, olga]) expect(who.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    for (const who of [vera, bea]) expect(who.errors).toEqual([]);
  } finally {
    for (const who of [admin, olga, vera, bea]) await who.context.close();
    await server.stop();
  }
});
