#!/usr/bin/env python3
"""A tiny fake OpenAI completions server for checking `apus bench serve` (stdlib only).

GET /v1/models lists one model; POST /v1/completions with "stream": true answers max_tokens chunks, one every
--itl-ms milliseconds after a first-token delay of --ttft-ms, then a usage chunk and data: [DONE]. Chunked
transfer encoding, like real servers. Prints "LISTENING PORT" once ready.
"""
import argparse, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--ttft-ms", type=float, default=20)
parser.add_argument("--itl-ms", type=float, default=5)
args = parser.parse_args()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = req["prompt"]
        n_prompt = len(prompt) if isinstance(prompt, list) else len(prompt.split())
        n = int(req.get("max_tokens", 16))
        if self.path != "/v1/completions" or not req.get("stream") or not req.get("ignore_eos"):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        time.sleep(args.ttft_ms / 1000)
        for i in range(n):
            if i:
                time.sleep(args.itl_ms / 1000)
            event = {"id": "cmpl-1", "object": "text_completion", "model": req["model"],
                     "choices": [{"index": 0, "text": " tok", "finish_reason": "length" if i == n - 1 else None}]}
            self.chunk("data: " + json.dumps(event) + "\n\n")
        usage = {"prompt_tokens": n_prompt, "completion_tokens": n, "total_tokens": n_prompt + n}
        self.chunk("data: " + json.dumps({"id": "cmpl-1", "choices": [], "usage": usage}) + "\n\n")
        self.chunk("data: [DONE]\n\n")
        self.chunk("")


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
print("LISTENING", server.server_address[1], flush=True)
server.serve_forever()
