"""An SMTP server that takes its time: each message waits DELAY_MS before it
is written to the Maildir and answered, so a test can kill the sender while
mails are in flight. Usage: slow_smtp.py PORT MAILDIR DELAY_MS"""

import asyncio
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    def __init__(self, maildir, delay):
        super().__init__(maildir)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


port, maildir, delay_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
Controller(SlowMailbox(maildir, delay_ms / 1000), hostname="127.0.0.1", port=port).start()
threading.Event().wait()
