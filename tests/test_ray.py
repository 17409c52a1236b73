"""`eval --ray` and `generate --ray` on a local Ray instance (2 CPUs) started by the tests:
the same results as the local path, and nothing lost or repeated when an actor or the
driver dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang.cli import app, optional_address
from museslang.testing.openai_stub import StubServer

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent
SPEC = "specs/meeting.muses"
runner = CliRunner()


@pytest.fixture(scope="module")
def cluster() -> str:
    """A local Ray instance for the module; its address, for drivers in other processes."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)  # fmt: skip
    yield ray.get_runtime_context().gcs_address
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def stub():
    """An OpenAI-compatible stub that answers after 50 ms: runs long enough to be hit."""
    with StubServer(latency=0.05) as server:
        yield server


def _results(run: Path) -> dict[tuple[str, int], dict]:
    out: dict[tuple[str, int], dict] = {}
    lines = (run / "results.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        record = json.loads(line)
        record.pop("latency_s")  # wall time: the one field a rerun may change
        key = (record["id"], record["trial"])
        assert key not in out, f"{key} appears twice"
        out[key] = record
    return out


def _summary(run: Path) -> dict:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    summary.pop("wall_s")
    summary.pop("actors", None)
    return summary


def _eval(*args: str) -> None:
    result = runner.invoke(app, ["eval", SPEC, "--no-progress", *args])
    assert result.exit_code == 0, result.output


def test_bare_ray_means_a_local_instance() -> None:
    assert optional_address(["eval", "s.muses", "--ray"]) == ["eval", "s.muses", "--ray",
                                                              "local"]  # fmt: skip
    assert optional_address(["eval", "--ray", "s.muses"]) == ["eval", "--ray", "local",
                                                              "s.muses"]  # fmt: skip
    for address in ("auto", "10.0.0.1:6379", "ray://head:10001", "local"):
        assert optional_address(["--ray", address, "--limit", "2"])[:2] == ["--ray", address]
    assert optional_address(["--ray", "--limit", "2"]) == ["--ray", "local", "--limit", "2"]


def test_a_ray_run_gives_what_the_local_run_gives(cluster, tmp_path: Path) -> None:
    common = ["--limit", "12", "--trials", "2", "--seed", "3"]
    _eval(*common, "--out", str(tmp_path / "local"))
    _eval(*common, "--out", str(tmp_path / "ray"), "--ray", "local", "--actors", "2")
    assert _results(tmp_path / "ray") == _results(tmp_path / "local")
    assert _summary(tmp_path / "ray") == _summary(tmp_path / "local")
    actors = json.loads((tmp_path / "ray" / "summary.json").read_text())["actors"]
    assert [a["actor"] for a in actors] == [0, 1]
    assert sum(a["results"] for a in actors) == 24
    for name in ("local", "ray"):  # rescore reads a Ray run as it reads a local one
        done = runner.invoke(app, ["rescore", str(tmp_path / name), "--metrics", "compat"])
        assert done.exit_code == 0, done.output
    assert _results(tmp_path / "ray") == _results(tmp_path / "local")
    assert _summary(tmp_path / "ray") == _summary(tmp_path / "local")


def test_generate_on_ray_writes_the_local_dataset(cluster, tmp_path: Path) -> None:
    for name, extra in (("local", []), ("ray", ["--ray", "local", "--actors", "2"])):
        args = ["generate", SPEC, "--teacher", "reference:oracle", "--n", "8", "--out",
                str(tmp_path / name), "--no-progress", *extra]  # fmt: skip
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    for part in ("train.jsonl", "val.jsonl"):
        assert (tmp_path / "ray" / part).read_bytes() == (tmp_path / "local" / part).read_bytes()


def _run_in_thread(args: list[str]) -> tuple[threading.Thread, list]:
    outcome: list = []

    def go() -> None:
        outcome.append(runner.invoke(app, ["eval", SPEC, "--no-progress", *args]))

    thread = threading.Thread(target=go)
    thread.start()
    return thread, outcome


def _wait_for_lines(path: Path, n: int, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and thread.is_alive():
        if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {n} lines")


@pytest.mark.parametrize("restart", [True, False], ids=["restarted", "gone-for-good"])
def test_an_actor_killed_mid_run_loses_nothing(cluster, stub, tmp_path: Path,
                                               restart: bool) -> None:  # fmt: skip
    common = ["--agent", "openai:stub", "--base-url", stub.base_url, "--limit", "24",
              "--concurrency", "4"]  # fmt: skip
    _eval(*common, "--out", str(tmp_path / "local"))
    out = tmp_path / "ray"
    before = set(ray.util.list_named_actors())
    thread, outcome = _run_in_thread([*common, "--out", str(out), "--ray", "local", "--actors",
                                      "2"])  # fmt: skip
    _wait_for_lines(out / "results.jsonl", 4, thread)
    (first,) = [n for n in set(ray.util.list_named_actors()) - before if n.endswith("-0")]
    ray.kill(ray.get_actor(first), no_restart=not restart)
    at_kill = len((out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    thread.join(180)
    assert outcome and outcome[0].exit_code == 0, outcome[0].output if outcome else "hung"
    assert at_kill < 24  # killed mid-run
    assert _results(out) == _results(tmp_path / "local")
    actors = json.loads((out / "summary.json").read_text())["actors"]
    assert sum(a["results"] for a in actors) == 24


def test_a_killed_driver_resumes_with_nothing_lost_or_repeated(cluster, stub,
                                                               tmp_path: Path) -> None:  # fmt: skip
    common = ["--agent", "openai:stub", "--base-url", stub.base_url, "--limit", "24",
              "--concurrency", "2", "--no-progress"]  # fmt: skip
    _eval(*common, "--out", str(tmp_path / "local"))
    out = tmp_path / "ray"
    env = {**os.environ, "MUSESLANG_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "museslang", "eval", SPEC, *common, "--out", str(out),
           "--ray", cluster, "--actors", "2"]  # fmt: skip
    driver = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)  # fmt: skip
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if results.exists() and len(results.read_text(encoding="utf-8").splitlines()) >= 6:
            break
        time.sleep(0.02)
    assert driver.poll() is None, driver.stderr.read().decode() if driver.stderr else ""
    driver.send_signal(signal.SIGKILL)
    driver.wait(30)
    written = len(results.read_text(encoding="utf-8").splitlines())
    assert 6 <= written < 24
    again = subprocess.run([*cmd, "--resume"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{24 - written} run now, {written} resumed" in again.stderr
    assert _results(out) == _results(tmp_path / "local")


def test_ray_options_are_checked(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["eval", SPEC, "--actors", "2", "--out", str(tmp_path / "a")])
    assert bad.exit_code == 2 and "need --ray" in bad.output
    bad = runner.invoke(app, ["eval", SPEC, "--base-url", "http://a/v1,http://b/v1",
                              "--agent", "openai:m", "--out", str(tmp_path / "b")])  # fmt: skip
    assert bad.exit_code == 2 and "need --ray" in bad.output
    bad = runner.invoke(app, ["eval", SPEC, "--ray", "local", "--actors", "0"])
    assert bad.exit_code == 2 and "--actors must be at least 1" in bad.output


def test_an_unreachable_cluster_is_one_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "museslang", "eval", SPEC, "--limit", "1", "--no-progress",
         "--out", str(tmp_path / "x"), "--ray", "127.0.0.1:1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot start or reach the Ray cluster at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr


def test_each_actor_takes_its_endpoint_and_its_share_of_requests() -> None:
    from museslang.run.cluster import for_actor
    from museslang.runtime.options import BackendOptions

    options = BackendOptions(base_url="http://a/v1, http://b/v1", max_requests=10)
    mine = [for_actor(options, i, 3) for i in range(3)]
    assert [o.base_url for o in mine] == ["http://a/v1", "http://b/v1", "http://a/v1"]
    assert {o.max_requests for o in mine} == {4}
    assert for_actor(BackendOptions(base_url="http://a/v1"), 1, 2).base_url == "http://a/v1"


def test_a_killed_driver_leaves_no_ray_process_of_its_own(stub, tmp_path: Path) -> None:
    """`--ray` with no address starts Ray in the driver; SIGKILL the driver mid-run and the
    raylet's agents (DashboardAgent, RuntimeEnvAgent) are stopped too, then the run resumes."""
    from museslang.run.ray_reaper import _table, descendants

    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "museslang", "eval", SPEC, "--agent", "openai:stub",
           "--base-url", stub.base_url, "--limit", "16", "--concurrency", "2", "--no-progress",
           "--out", str(out), "--ray", "--actors", "2"]  # fmt: skip
    env = {**os.environ, "MUSESLANG_CACHE": str(tmp_path / "cache")}
    driver = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    results = out / "results.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and driver.poll() is None:
        if results.exists() and len(results.read_text(encoding="utf-8").splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert driver.poll() is None
    started = descendants(driver.pid)  # everything the driver started, Ray's agents too
    assert len(started) > 3
    driver.send_signal(signal.SIGKILL)
    driver.wait(30)

    def left() -> dict[int, str]:
        return {p: t for p, (_, t) in _table().items() if started.get(p) == t}

    deadline = time.monotonic() + 30
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left() == {}, [Path(f"/proc/{p}/cmdline").read_bytes()[:80] for p in left()]
    again = subprocess.run([*cmd, "--resume"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "16/16 episodes ok" in again.stderr
