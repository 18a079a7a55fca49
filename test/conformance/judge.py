#!/usr/bin/python3
"""Judge HTTP/1.1 responses with h11, a strict parser that is neither fasthttp nor Go's.

Reads a JSON list of exchanges on stdin, each {"name", "methods", "output", "eof"}: the
methods of the requests sent in order, the bytes the server answered (base64), and whether
the server then closed the connection. Writes one JSON object per exchange: the responses
h11 read (status, reason, headers, body, informational responses before them), whether
h11 says the server must close after them, bytes left over, and h11's error if the bytes
are not well-formed HTTP/1.1 responses to those requests.
"""
import base64
import json
import sys

import h11

PINNED = "0.14.0"


def judge(methods, data, eof):
    conn = h11.Connection(h11.CLIENT)
    if data:  # h11 reads an empty chunk as the end of the stream
        conn.receive_data(data)
    if eof:
        conn.receive_data(b"")
    responses = []
    for method in methods:
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "judge")]))
        conn.send(h11.EndOfMessage())
        resp = {"informational": [], "status": None, "body": ""}
        body = b""
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                raise h11.RemoteProtocolError("the response to %s ends before it is complete" % method)
            if isinstance(ev, h11.ConnectionClosed):
                return responses, "closed before a response to %s" % method, conn
            if isinstance(ev, h11.InformationalResponse):
                resp["informational"].append(ev.status_code)
            elif isinstance(ev, h11.Response):
                resp["status"] = ev.status_code
                resp["reason"] = ev.reason.decode("latin-1")
                resp["headers"] = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in ev.headers]
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                break
        resp["body"] = body.decode("latin-1")
        resp["must_close"] = conn.their_state is h11.MUST_CLOSE
        responses.append(resp)
        if conn.their_state is h11.MUST_CLOSE:
            break
        conn.start_next_cycle()
    return responses, None, conn


def main():
    if h11.__version__ != PINNED:
        sys.exit("judge: h11 %s, want %s (Debian's python3-h11, as .ci/install pins it)" % (h11.__version__, PINNED))
    verdicts = []
    for ex in json.load(sys.stdin):
        verdict = {"name": ex["name"], "responses": [], "error": None, "leftover": 0}
        try:
            responses, closed, conn = judge(ex["methods"], base64.b64decode(ex["output"]), ex["eof"])
            verdict["responses"] = responses
            verdict["error"] = closed
            leftover, _ = conn.trailing_data
            verdict["leftover"] = len(leftover)
        except h11.ProtocolError as e:
            verdict["error"] = "not HTTP/1.1: %s" % e
        verdicts.append(verdict)
    json.dump(verdicts, sys.stdout)


if __name__ == "__main__":
    main()
