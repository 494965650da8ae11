"""A real SMTP server on loopback for Switchboard's tests (aiosmtpd).

Usage: sink.py DIR [PORT]. Listens on 127.0.0.1:PORT (0 or absent: a free port), prints the
port on the first line of stdout, and writes every mail it accepts to DIR as N.eml (the
message exactly as received) and N.json (envelope, decoded subject and text body), so tests
check what a mail client would show.
"""

import asyncio
import email
import email.policy
import json
import pathlib
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        head = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        (self.directory / f"{self.count}.eml").write_bytes(head + content)
        message = email.message_from_bytes(content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        decoded = {
            "mail_from": envelope.mail_from,
            "rcpt_to": list(envelope.rcpt_tos),
            "from": str(message["from"] or ""),
            "to": str(message["to"] or ""),
            "subject": str(message["subject"] or ""),
            "content_type": message.get_content_type(),
            "body": body.get_content() if body is not None else "",
        }
        # Written aside and renamed, so a reader never sees half a mail.
        partial = self.directory / f".{self.count}.json"
        partial.write_text(json.dumps(decoded), encoding="utf-8")
        partial.rename(self.directory / f"{self.count}.json")
        return "250 Message accepted for delivery"


async def main():
    directory = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    sink = Sink(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", decode_data=False),
        host="127.0.0.1",
        port=port,
        reuse_address=True,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
