"""A stand-in for `python -m vllm.entrypoints.openai.api_server`, for the managed-server
tests (`test_vllm_serve.py`): it takes the same flags, answers `/v1/models` and
`/v1/chat/completions`, and starts a child that ignores SIGTERM (as an engine process
might), so that a test can see that nothing outlives the run. What it does is chosen by
`--model`: `fake` answers at once, `slow` takes a minute per reply, `crash` exits."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHILD = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--lora-modules", nargs="*", default=[])
    args, _ = ap.parse_known_args()
    child = subprocess.Popen([sys.executable, "-c", CHILD])
    print(f"fake server pid {os.getpid()} child {child.pid}", flush=True)
    print(f"fake server argv {json.dumps(sys.argv[1:])}", flush=True)
    if args.model == "crash":
        print("RuntimeError: the engine could not start (on purpose)", flush=True)
        sys.exit(3)
    served = [args.model, *(m.partition("=")[0] for m in args.lora_modules)]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            return

        def _send(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send({"data": [{"id": m} for m in served]})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            print(
                f"fake server request model={request['model']} tools={bool(request.get('tools'))}",
                flush=True,
            )
            if args.model == "slow":
                time.sleep(60)
            message: dict = {"role": "assistant", "content": "I cannot decide this."}
            if request.get("tools"):
                name = request["tools"][0]["function"]["name"]
                call = {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": name, "arguments": '"10:00"'},
                }
                message = {"role": "assistant", "content": None, "tool_calls": [call]}
            usage = {"prompt_tokens": 10, "completion_tokens": 5}
            self._send({"choices": [{"message": message, "finish_reason": "stop"}], "usage": usage})

    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
