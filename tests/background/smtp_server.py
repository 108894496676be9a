"""A real SMTP server on 127.0.0.1 for fault tests: it accepts, hangs on chosen messages, or vanishes.

A message counts as delivered only once the server has answered "250" to its DATA, which is the
moment a real mail server takes responsibility for it. A hung message whose client dies while
waiting is not delivered (the client never learnt it was accepted, and will send it again).
"""

import select
import socket
import socketserver
import threading
from collections import Counter
from email import message_from_bytes


class _Session(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        server = self.server
        with server.lock:
            server.sessions.append(self.connection)
        self.reply("220 fault-smtp ESMTP")
        rcpts, data, in_data = [], [], False
        for line in self.rfile:
            if in_data:
                if line != b".\r\n":
                    data.append(line[1:] if line.startswith(b"..") else line)
                    continue
                in_data = False
                if not server.may_accept(self.connection):
                    return  # the client went away while the message hung: not delivered
                server.accepted(rcpts, b"".join(data))
                self.reply("250 OK")
                rcpts, data = [], []
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-fault-smtp\r\n250 8BITMIME\r\n")
            elif verb == b"RCPT":
                rcpts.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                self.reply("250 OK")
            elif verb == b"DATA":
                in_data = True
                self.reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


class FaultSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.lock = threading.Lock()
        self.messages = []  # (recipients, subject) of every delivered message
        self.sessions = []
        self.hang_after = None  # deliver this many messages, then hang every later one
        self.hanging = threading.Event()  # set while a message hangs
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def may_accept(self, connection):
        """Hang when told to, until released; False if the client disconnected meanwhile."""
        with self.lock:
            hang = self.hang_after is not None and len(self.messages) >= self.hang_after
        if not hang:
            return True
        self.hanging.set()
        while True:
            # The client's death is checked before the release, so a message whose sender was
            # killed is never counted, whenever the release comes.
            readable, _, _ = select.select([connection], [], [], 0)
            if readable and not connection.recv(1, socket.MSG_PEEK):
                return False
            if self.release.wait(0.05):
                readable, _, _ = select.select([connection], [], [], 0)
                return not (readable and not connection.recv(1, socket.MSG_PEEK))

    def accepted(self, rcpts, raw):
        subject = message_from_bytes(raw)["Subject"]
        with self.lock:
            self.messages.append((tuple(rcpts), subject))

    def per_recipient(self):
        with self.lock:
            return Counter(r for rcpts, _ in self.messages for r in rcpts)

    def heal(self):
        self.hang_after = None
        self.release.set()

    def vanish(self):
        """Stop listening and drop every open connection: clients get 'connection refused'."""
        self.shutdown()
        self.server_close()
        with self.lock:
            for connection in self.sessions:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.release.set()
        try:
            self.vanish()
        except OSError:
            pass
