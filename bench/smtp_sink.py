"""A mail server on 127.0.0.1 that accepts every message and keeps none, for measuring the digest.

The digest benchmark sends through Django's SMTP backend, as production does, so the figure
includes building the MIME message, serialising it and the SMTP exchange; this sink answers
the commands Django's backend uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and counts
the messages.
"""

import socketserver
import threading


class _Session(socketserver.StreamRequestHandler):
    disable_nagle_algorithm = True

    def reply(self, *lines):
        # One write per reply: a multi-line reply in several small packets meets the client's
        # delayed ACK and costs 40 ms.
        self.wfile.write(b"".join(line.encode() + b"\r\n" for line in lines))

    def handle(self):
        self.reply("220 bench-sink ESMTP")
        in_data = False
        for line in self.rfile:
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    with self.server.lock:
                        self.server.received += 1
                    self.reply("250 OK")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-bench-sink", "250 8BITMIME")
            elif verb == b"DATA":
                in_data = True
                self.reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.received = 0
        self.lock = threading.Lock()

    @property
    def port(self):
        return self.server_address[1]

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self
