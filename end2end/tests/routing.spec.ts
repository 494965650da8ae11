import { browse, expect, firstLogIn, startServer, test, Server, visitorStarts } from "./server";

// Automatic routing (R2): an admin switches routing to automatic; a new chat is assigned to one
// available operator, who is told why and may decline it; everyone sees who holds it and why.

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("automatic assignment shows its reason and passes on when declined", async ({ browser }) => {
  server.addOperator("bob@switchboard.local", "Bob");
  const ada = await browse(browser, server.baseURL);
  const bob = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await ada.page.goto("/admin/settings");
    await ada.page.getByTestId("settings-routing").selectOption("automatic");
    await ada.page.getByTestId("settings-assign-ack").fill("300");
    await ada.page.getByTestId("settings-save").click();
    await expect(ada.page.getByTestId("settings-saved")).toBeVisible();
    // Ada is Unavailable: only Bob can be assigned the chat.
    await ada.page.getByTestId("availability-toggle").click();
    await expect(ada.page.getByTestId("availability-toggle")).toHaveText("Unavailable");
    await ada.page.goto("/");
    await firstLogIn(bob.page, "bob@switchboard.local");

    await visitorStarts(vera.page, "Vera");
    const bobRow = bob.page.getByTestId("waiting-list").getByTestId("chat-row");
    await expect(bobRow.getByTestId("assigned")).toContainText("assigned to you");
    await expect(bobRow.getByTestId("assignment-reason")).toHaveText(
      /; 0 chats; idle \d+ (s|min); 0 other candidates$/,
    );
    await expect(bob.page.getByTestId("alert-popup")).toContainText("Chat assigned to you");
    // Ada sees who holds it, and why; she gets no pop-up for it.
    const adaRow = ada.page.getByTestId("waiting-list").getByTestId("chat-row");
    await expect(adaRow.getByTestId("assigned")).toContainText("assigned to Bob");
    await expect(adaRow.getByTestId("assignment-reason")).toContainText("0 other candidates");
    await expect(ada.page.getByTestId("alert-popup")).toHaveCount(0);

    // Bob declines: nobody else is available, so the chat waits unassigned for anyone.
    await bobRow.getByTestId("decline-assignment").click();
    await expect(bobRow.getByTestId("assigned")).toHaveCount(0);
    await expect(adaRow.getByTestId("assigned")).toHaveCount(0);
    await expect(bobRow.getByTestId("decline-assignment")).toHaveCount(0);

    // Anyone may still accept it; the conversation keeps the assignment and the decline.
    await bobRow.getByTestId("accept").click();
    await expect(bob.page).toHaveURL(/\/chats$/);
    await expect(bob.page.getByTestId("messages").getByText(/^Assigned to Bob: /)).toBeVisible();
    await expect(bob.page.getByTestId("messages").getByText("Bob declined")).toBeVisible();

    for (const who of [ada, bob, vera]) expect(who.errors).toEqual([]);
  } finally {
    for (const who of [ada, bob, vera]) await who.context.close();
  }
});
