import { browse, expect, firstLogIn, startServer, test, Server, visitorStarts } from "./server";

// Waiting visitors see their place in the queue (V4), and it moves up live as the chats ahead
// are taken.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("a waiting visitor sees number 2, then number 1 with an estimate", async ({ browser }) => {
  const ada = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  const sam = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await visitorStarts(vera.page, "Vera", "I was here first");
    await expect(vera.page.getByTestId("sb-queue")).toHaveText("You are number 1 in the queue.");
    await visitorStarts(sam.page, "Sam", "Me too");
    await expect(sam.page.getByTestId("sb-queue")).toHaveText("You are number 2 in the queue.");

    // Ada takes Vera's chat: Sam moves up at once, with a wait estimated from that pace.
    const waiting = ada.page.getByTestId("waiting-list").getByTestId("chat-row");
    await expect(waiting).toHaveCount(2);
    await waiting.filter({ hasText: "Vera" }).getByTestId("accept").click();
    await expect(sam.page.getByTestId("sb-queue")).toHaveText(
      "You are number 1 in the queue. Estimated wait: about 30 minutes.",
    );
    await expect(vera.page.getByTestId("sb-queue")).toHaveCount(0);
    // A reload reads the same place.
    await sam.page.reload();
    await sam.page.getByTestId("sb-launcher").click();
    await expect(sam.page.getByTestId("sb-queue")).toContainText("You are number 1 in the queue.");

    for (const who of [ada, vera, sam]) expect(who.errors).toEqual([]);
  } finally {
    for (const who of [ada, vera, sam]) await who.context.close();
  }
});
