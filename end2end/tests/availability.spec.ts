import { browse, expect, firstLogIn, startServer, test, Server, visitorStarts } from "./server";

// An operator who sets themself Unavailable shows red to colleagues and gets no new-chat
// pop-up (O16, R1); available again, the next chat pops up for them too.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("an unavailable operator shows red and gets no new-chat pop-up", async ({ browser }) => {
  server.addOperator("bob@switchboard.local", "Bob");
  const ada = await browse(browser, server.baseURL);
  const bob = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  const sam = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await firstLogIn(bob.page, "bob@switchboard.local");
    const toggle = bob.page.getByTestId("availability-toggle");
    await expect(toggle).toHaveText("Available");
    await toggle.click();
    await expect(toggle).toHaveText("Unavailable");
    await expect(toggle).toHaveAttribute("aria-pressed", "true");
    const bobDot = ada.page
      .getByTestId("online-operator")
      .filter({ hasText: "Bob" })
      .getByTestId("operator-availability");
    await expect(bobDot).toHaveAttribute("data-unavailable", "true");

    await visitorStarts(vera.page, "Vera");
    await expect(ada.page.getByTestId("alert-popup")).toHaveCount(1);
    await expect(bob.page.getByTestId("waiting-list").getByTestId("chat-row")).toHaveCount(1);
    await bob.page.waitForTimeout(500);
    await expect(bob.page.getByTestId("alert-popup")).toHaveCount(0);

    // Available again (and after a reload, the setting holds).
    await bob.page.reload();
    await expect(toggle).toHaveText("Unavailable");
    await toggle.click();
    await expect(toggle).toHaveText("Available");
    await expect(bobDot).toHaveAttribute("data-unavailable", "false");
    await visitorStarts(sam.page, "Sam");
    await expect(bob.page.getByTestId("alert-popup").filter({ hasText: "Sam" })).toHaveCount(1);

    for (const who of [ada, bob, vera, sam]) expect(who.errors).toEqual([]);
  } finally {
    for (const who of [ada, bob, vera, sam]) await who.context.close();
  }
});
