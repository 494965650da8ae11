import { Page } from "@playwright/test";
import { browse, expect, firstLogIn, startServer, test, Server } from "./server";

// Offline messages (V11, A1): with nobody available, or live support switched off, the bubble
// offers "Leave a message"; the message arrives as a ticket (O23) operators see live and
// close.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

async function leaveMessage(page: Page, name: string, email: string, message: string) {
  await page.getByTestId("sb-offline-name").fill(name);
  await page.getByTestId("sb-offline-email").fill(email);
  await page.getByTestId("sb-offline-message").fill(message);
  await page.getByTestId("sb-offline-send").click();
  await expect(page.getByTestId("sb-offline-sent")).toBeVisible();
}

test("an offline message becomes a ticket that an operator closes", async ({ browser }) => {
  const vera = await browse(browser, server.baseURL);
  const sam = await browse(browser, server.baseURL);
  const ada = await browse(browser, server.baseURL);
  try {
    // Nobody is online: the bubble takes a message instead of starting a chat.
    await vera.page.goto("/demo");
    await vera.page.getByTestId("sb-launcher").click();
    await expect(vera.page.getByTestId("sb-offline-reason")).toContainText(
      "All our operators are away right now.",
    );
    await expect(vera.page.getByTestId("sb-start")).toHaveCount(0);
    // A bad address is refused in the bubble, and nothing is sent.
    await vera.page.getByTestId("sb-offline-email").fill("vera");
    await vera.page.getByTestId("sb-offline-message").fill("Please call me back");
    await vera.page.getByTestId("sb-offline-send").click();
    await expect(vera.page.getByTestId("sb-error")).toContainText("email address");
    await leaveMessage(vera.page, "Vera", "vera@example.org", "Please call me back about pricing");

    // Ada logs in and finds it among the tickets, the message its first article.
    await firstLogIn(ada.page, server.adminEmail);
    await ada.page.getByTestId("nav-tickets").click();
    const item = ada.page.getByTestId("ticket");
    await expect(item).toHaveCount(1);
    await expect(item.getByTestId("ticket-subject-text")).toHaveText("Please call me back about pricing");
    await expect(item).toContainText("Vera");
    await expect(item).toContainText("left while nobody was available");
    await expect(item.getByTestId("ticket-status")).toHaveText("Open");
    await item.getByTestId("ticket-open").click();
    const detail = ada.page.getByTestId("ticket-detail");
    await expect(detail.getByTestId("ticket-from")).toContainText("<vera@example.org>");
    await expect(detail.getByTestId("ticket-article")).toHaveText(/Please call me back about pricing/);

    // Live support switched off: the bubble takes messages even with Ada online, and the
    // new one appears in her open list without a reload.
    await ada.page.goto("/admin/settings");
    await ada.page.getByTestId("settings-live-support").selectOption("off");
    await ada.page.getByTestId("settings-save").click();
    await expect(ada.page.getByTestId("settings-saved")).toBeVisible();
    await ada.page.getByTestId("nav-tickets").click();
    await expect(item).toHaveCount(1);
    await sam.page.goto("/demo");
    await sam.page.getByTestId("sb-launcher").click();
    await expect(sam.page.getByTestId("sb-offline-reason")).toContainText(
      "Live chat is not available right now.",
    );
    await leaveMessage(sam.page, "Sam", "sam@example.org", "Are you open on Sundays?");
    await expect(item).toHaveCount(2);
    await expect(item.first()).toContainText("Are you open on Sundays?");
    await expect(item.first()).toContainText("left while live support was off");

    // Closing one takes it off the open list and onto the closed one.
    await item.filter({ hasText: "Vera" }).getByTestId("ticket-open").click();
    await ada.page.getByTestId("ticket-status-select").selectOption("closed");
    await expect(item).toHaveCount(1);
    await ada.page.getByTestId("tickets-closed").click();
    await expect(item).toHaveCount(1);
    await expect(item.getByTestId("ticket-status")).toHaveText("Closed");

    for (const who of [vera, sam, ada]) expect(who.errors).toEqual([]);
  } finally {
    for (const who of [vera, sam, ada]) await who.context.close();
  }
});
