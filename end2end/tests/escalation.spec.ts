import { browse, expect, firstLogIn, startServer, test, Server } from "./server";

// A chat nobody answers alerts again after the Settings' "Alert again after" (R3), even when
// the first pop-up was dismissed.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("a chat still waiting after T1 rings and pops up again", async ({ browser }) => {
  const ada = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await ada.page.goto("/admin/settings");
    await ada.page.getByTestId("settings-escalate").fill("10");
    await ada.page.getByTestId("settings-supervisors").fill("600");
    await ada.page.getByTestId("settings-save").click();
    await expect(ada.page.getByTestId("settings-saved")).toBeVisible();
    // The console reads the thresholds when it loads.
    await ada.page.goto("/");
    await expect(ada.page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");

    await vera.page.goto("/demo");
    await vera.page.getByTestId("sb-launcher").click();
    await vera.page.getByTestId("sb-name").fill("Vera");
    await vera.page.getByTestId("sb-first-message").fill("Anyone there?");
    await vera.page.getByTestId("sb-start").click();
    const popup = ada.page.getByTestId("alert-popup");
    await expect(popup).toContainText("New chat");
    await ada.page.getByTestId("alert-dismiss").click();
    await expect(popup).toHaveCount(0);
    await expect(popup).toContainText("Still waiting", { timeout: 15_000 });
    await expect(popup).toContainText("Vera has waited");
    expect(ada.errors).toEqual([]);
  } finally {
    await Promise.all([ada.context.close(), vera.context.close()]);
  }
});
