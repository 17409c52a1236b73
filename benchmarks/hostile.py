"""Every command over the hostile corpus at full size, each in its own process with a
time and memory limit: exit 0/1/2 with a message, no traceback, no hang, bounded memory.

The corpus is `museslang.testing.hostile` (specs, official records, damaged run
folders) at `--scale` (10 makes the size cases ten times what CI runs). Each command
runs as `python -m museslang.cli ...` under RLIMIT_AS (--memory, default 1 GiB of
address space beyond the interpreter's own) and a wall-clock limit (--limit, 10 s);
the script prints one line per case and a summary, and exits 1 if anything failed.
It also runs the cases of `trust_cases` (a planted or swapped compile-cache entry, a key
an endpoint echoes back, specs and run folders that would give a wrong number), and
SIGKILL-and-resume cycles on one run folder, checking that no line is lost or repeated,
and two evals started on one folder at once.

The issue-29 sections run too: families written in museslang, huge specs, damaged
compiled files, run files that are not files (report as well), misbehaving HTTP replies
(eval against a faulty server, --timeout 2 --retries 2), and the language server fed bad
frames in its own process (answered after each; peak memory; one log line per error). A
command over --memory MB of peak RSS fails as much as one that hangs.

    python benchmarks/hostile.py [--scale 10] [--limit 10] [--memory 1024] [--kills 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from museslang.testing.hostile import (  # noqa: E402
    authored_spec_cases,
    compiled_cases,
    copy_run,
    damaged_run_files,
    endpoint_cases,
    huge_spec_cases,
    lsp_frames,
    prepare_folder,
    record_cases,
    run_cases,
    spec_cases,
    trust_cases,
)
from museslang.testing.openai_stub import StubServer  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def run(
    args: list[str],
    limit: float,
    memory_mb: int,
    cwd: Path,
    env: dict[str, str] | None = None,
    tail: int = 400,
) -> tuple[int, str, float, int]:
    """(exit code or -signal, stderr+stdout tail, seconds, peak RSS in MB)."""

    def limits() -> None:
        cap = memory_mb * 1024 * 1024 + 512 * 1024 * 1024  # + the interpreter and libraries
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as sink:
        command = [sys.executable, "-m", "museslang.cli", *args]
        proc = subprocess.Popen(command, cwd=cwd, env=env or ENV, stdout=sink,
                                stderr=subprocess.STDOUT, preexec_fn=limits)  # fmt: skip
        while True:  # wait4, not communicate: it reports this child's own peak memory
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > limit:
                proc.kill()
                os.wait4(proc.pid, 0)
                return -999, "timeout", time.perf_counter() - t0, 0
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sink.seek(0)
        out = sink.read().decode(errors="replace")[-tail:]
    return proc.returncode, out, time.perf_counter() - t0, usage.ru_maxrss // 1024


def judge(code: int, output: str) -> str | None:
    if code == -999:
        return "hang"
    if code not in (0, 1, 2):
        return f"exit {code}"
    if "Traceback" in output or "internal error" in output:
        return "traceback"
    if code and not output.strip():
        return "no message"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--limit", type=float, default=10.0)
    ap.add_argument("--memory", type=int, default=1024, help="MiB per command")
    ap.add_argument("--kills", type=int, default=10, help="SIGKILL-and-resume cycles")
    args = ap.parse_args()
    failures: list[str] = []
    rows = 0
    slowest = (0.0, "")
    biggest = (0, "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare_folder(folder)
        jobs: list[tuple[str, list[str]]] = []
        every = spec_cases(args.scale) + authored_spec_cases(args.scale)
        for case in every + huge_spec_cases(args.scale):
            spec = str(case.make(folder))
            for cmd in (["check", spec], ["compile", spec, "-o", str(folder / "c.json")],
                        ["fmt", "--check", spec], ["graph", spec],
                        ["export", "muses-bench", spec, "-o", str(folder / "e.jsonl")],
                        ["eval", spec, "--limit", "2", "--no-progress",
                         "--out", str(folder / f"run-{case.name}")]):  # fmt: skip
                jobs.append((f"spec {case.name}: {cmd[0]}", cmd))
        for case in record_cases(args.scale):
            path = str(case.make(folder))
            cmd = ["import", "muses-bench", path, "--dir", str(folder / "imp"), "--verify"]
            jobs.append((f"records {case.name}: import", cmd))
        base = folder / "base"
        code, out, *_ = run(["eval", "specs/meeting.muses", "--limit", "6", "--no-progress",
                               "--out", str(base)], 120, args.memory, ROOT)  # fmt: skip
        assert code == 0, out
        for name, damage in run_cases() + damaged_run_files():
            copy = copy_run(base, folder / f"damaged-{name}")
            damage(copy)
            for cmd in (["rescore", str(copy)], ["table", str(copy)],
                        ["report", str(copy), "-o", str(folder / f"report-{name}")],
                        ["eval", "specs/meeting.muses", "--limit", "6", "--resume",
                         "--no-progress", "--out", str(copy)]):  # fmt: skip
                jobs.append((f"run {name}: {cmd[0]}", cmd))
        jobs += compiled_jobs(folder, args.memory)
        with endpoints() as base_url:
            for name, _, _ in endpoint_cases():
                cmd = ["eval", "specs/meeting.muses", "--agent", "openai:m", "--base-url",
                       f"{base_url}/{name}/v1", "--limit", "1", "--timeout", "2", "--retries",
                       "2", "--no-progress", "--out", str(folder / f"endpoint-{name}")]  # fmt: skip
                jobs.append((f"endpoint {name}: eval", cmd))
            for label, cmd in jobs:
                code, out, seconds, peak = run(cmd, args.limit, args.memory, ROOT)
                rows += 1
                bad = judge(code, out) or ("memory" if peak > args.memory else None)
                slowest = max(slowest, (seconds, label))
                biggest = max(biggest, (peak, label))
                mark = "FAIL " + bad if bad else "ok"
                print(f"{mark:14s} exit {code:>4} {seconds:5.2f} s {peak:5d} MB  {label}")
                if bad:
                    failures.append(f"{label}: {bad}\n{out}")
        failures += lsp_protocol(args.limit, args.memory)
        failures += trust(folder, args.limit * 6, args.memory)
        failures += kill_cycles(folder, args.kills)
    print(f"\n{rows} commands; slowest {slowest[0]:.2f} s ({slowest[1]}); largest "
          f"{biggest[0]} MB ({biggest[1]}); {len(failures)} failures")  # fmt: skip
    for f in failures[:5]:
        print("\n---\n" + f)
    sys.exit(1 if failures else 0)


def compiled_jobs(folder: Path, memory_mb: int) -> list[tuple[str, list[str]]]:
    """The compiled budget spec, damaged each way of `compiled_cases`: eval and graph."""
    good = folder / "budget.json"
    code, out, *_ = run(["compile", "specs/budget.muses", "-o", str(good)], 120, memory_mb, ROOT)
    assert code == 0, out
    data = json.loads(good.read_text(encoding="utf-8"))
    jobs = []
    for name, damage, _ in compiled_cases():
        copy = json.loads(json.dumps(data))
        damage(copy)
        path = folder / f"compiled-{name}.json"
        path.write_text(json.dumps(copy), encoding="utf-8")
        jobs += [(f"compiled {name}: eval", ["eval", str(path), "--limit", "2", "--no-progress",
                                             "--out", str(folder / f"run-c-{name}")]),
                 (f"compiled {name}: graph", ["graph", str(path)])]  # fmt: skip
    return jobs


@contextlib.contextmanager
def endpoints():
    """One faulty server for every case of `endpoint_cases`: /NAME/v1/models answers as a
    server should, /NAME/v1/chat/completions with the case's bytes."""
    from museslang.testing.faulty_server import FaultyServer, http_response, once

    replies = {name: reply for name, reply, _ in endpoint_cases()}
    models = http_response(200, b'{"data": [{"id": "m"}]}')

    def answer(request):
        name = request.path.strip("/").split("/")[0]
        return once(models if request.path.endswith("/models") else replies.get(name, models))

    with FaultyServer(answer) as server:
        yield f"http://{server.host}:{server.port}"


def lsp_protocol(limit: float, memory_mb: int) -> list[str]:
    """`museslang lsp` in its own process, sent each of `lsp_frames`; after each, a
    well-formed request must be answered within `limit` seconds. Its peak memory and
    its stderr (one line per error, no traceback) are checked at the end."""
    from museslang.lsp.client import RawServer

    problems: list[str] = []
    server = RawServer(cwd=ROOT, env=ENV)
    spec = (ROOT / "specs" / "meeting.muses").as_uri()
    hover = {"textDocument": {"uri": spec}, "position": {"line": 0, "character": 0}}
    try:
        server.initialize()
        for name, raw in lsp_frames():
            t0 = time.perf_counter()
            server.send(raw)
            try:
                answer = server.request("textDocument/hover", hover, timeout=limit)
                ok = "result" in answer
            except (TimeoutError, EOFError) as exc:
                ok, answer = False, {"error": str(exc)}
            seconds = time.perf_counter() - t0
            print(f"{'ok' if ok else 'FAIL no answer':14s} {seconds:5.2f} s  lsp {name}")
            if not ok:
                problems.append(f"lsp {name}: {answer}")
        peak = _peak_mb(server.proc.pid)
    finally:
        log = server.close()
    lines = log.splitlines()
    tracebacks = sum("Traceback" in line for line in lines)
    print(f"lsp: {len(lsp_frames())} bad frames, answered after each: {not problems}; "
          f"peak {peak} MB; {len(lines)} log lines, {tracebacks} tracebacks")  # fmt: skip
    if tracebacks or any(not line.startswith("museslang lsp: ") for line in lines):
        problems.append("lsp: its log has tracebacks or lines of its own:\n" + log[-800:])
    if peak > memory_mb:
        problems.append(f"lsp: peak memory {peak} MB")
    return problems


def _peak_mb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) // 1024


def trust(folder: Path, limit: float, memory_mb: int) -> list[str]:
    """Issue 28's classes: a planted or swapped cache entry, a key an endpoint echoes back,
    a spec or run folder that would give a wrong number. Each case's commands run in
    their own processes under the same limits; a case holds or says what went wrong."""
    problems: list[str] = []
    print()
    for case in trust_cases():
        where = folder / f"trust-{case.name}"
        where.mkdir()
        worst: list[str] = []

        def museslang(args: list[str], env: dict[str, str], worst=worst) -> tuple[int, str]:
            code, out, _, _ = run(args, limit, memory_mb, ROOT, {**ENV, **env}, tail=100_000)
            if (bad := judge(code, out)) is not None:
                worst.append(f"{args[0]}: {bad}")
            return code, out

        t0 = time.perf_counter()
        try:
            why = case.run(where, museslang)
        except Exception as exc:  # a harness failure is a failure of the case
            why = f"{type(exc).__name__}: {exc}"
        why = why or (worst[0] if worst else None)
        mark = "FAIL" if why else "ok"
        print(f"{mark:6s} {time.perf_counter() - t0:6.2f} s  trust {case.kind} {case.name}"
              + (f": {why[:200]}" if why else ""))  # fmt: skip
        if why:
            problems.append(f"trust {case.name}: {why}")
    return problems


def kill_cycles(folder: Path, kills: int) -> list[str]:
    """SIGKILL a run at random moments, resume it each time; then two evals at once."""
    out = folder / "killed"
    problems: list[str] = []
    with StubServer(latency=0.01, keep_requests=False) as server:
        base = ["eval", "specs/meeting.muses", "--agent", "openai:stub", "--base-url",
                server.base_url, "--limit", "60", "--concurrency", "4", "--no-progress",
                "--out", str(out)]  # fmt: skip
        for i in range(kills):
            cmd = [sys.executable, "-m", "museslang.cli", *base] + (["--resume"] if i else [])
            proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(1.5 + 0.2 * i)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        final = subprocess.run([sys.executable, "-m", "museslang.cli", *base, "--resume"],
                               cwd=ROOT, env=ENV, capture_output=True, text=True)  # fmt: skip
        if final.returncode != 0:
            problems.append(f"final resume failed: {final.stderr[-400:]}")
        lines = (out / "results.jsonl").read_text().splitlines()
        ids = [(json.loads(line)["id"], json.loads(line)["trial"]) for line in lines]
        print(f"\n{kills} SIGKILL-and-resume cycles: {len(ids)} lines, {len(set(ids))} distinct "
              f"(want 60 and 60)")  # fmt: skip
        if len(ids) != 60 or len(set(ids)) != 60:
            problems.append(f"after kills: {len(ids)} lines, {len(set(ids))} distinct")
        twice = folder / "twice"
        both = [subprocess.Popen([sys.executable, "-m", "museslang.cli", *base[:-1], str(twice)],
                                 cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
        codes = sorted(p.wait() for p in both)
        lines = (twice / "results.jsonl").read_text().splitlines()
        print(f"two evals started at once on one folder: exit codes {codes}, {len(lines)} lines")
        if codes != [0, 2] or len(lines) != 60:
            problems.append(f"two writers: exit {codes}, {len(lines)} lines")
    return problems


if __name__ == "__main__":
    main()
