"""The README's commands, run as a new user would: they must work, or the suite fails.

The first command ("Try it") runs word for word, as a subprocess, in a fresh copy of the repository (the files
git tracks plus the untracked ones it does not ignore) with a fresh virtualenv and instance folder. Only the
environment differs: COOP_PORT=0 lets the server pick a free port, which it prints. The test waits for the
address, logs in over HTTP as the demo officer with the printed password, and stops the server with Ctrl+C
(SIGINT to its process group, as a terminal sends it).

The test command's set-up is checked where that is cheap: CI runs it word for word, the extra it installs
exists, and pytest collects with the options the project sets.
"""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from coop import ROOT

README = ROOT / "README.md"
# A fresh virtualenv installs coop's dependencies, then quickstart migrates, seeds and loads the demo.
SERVING_WITHIN_SECONDS = 600


def readme_command(section: str) -> str:
    """The ```bash block under the README's `## <section>` heading, exactly as written."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(section)}\b.*?^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert found, f"README.md has no ```bash block under '## {section}'"
    return found.group(1).strip()


def fresh_copy(destination: Path) -> Path:
    """The working tree as a new clone would have it (plus this branch's uncommitted files), nothing generated."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed, yet gone
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


class Output:
    """A process's output, read by a thread as it comes, so that a test can wait for a line."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self._process = process
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process):
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if found := re.search(pattern, line):
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return None
                self._changed.wait(min(remaining, 1))

    def close(self) -> None:
        self._thread.join(timeout=10)
        self._process.stdout.close()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)


def _environment() -> dict:
    """The user's environment, as if no virtualenv were active and coop had never been configured."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("COOP_", "PYTEST", "FLASK_")) and name not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    active = Path(sys.prefix) / "bin"
    environment["PATH"] = os.pathsep.join(part for part in environment.get("PATH", "").split(os.pathsep)
                                          if Path(part) != active)
    return environment | {"COOP_PORT": "0", "PYTHONUNBUFFERED": "1"}


def _log_in(base: str, username: str, password: str) -> str:
    """Log in through the login form (with its CSRF token) and return the home page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base}login", timeout=60) as response:
        assert response.status == 200
        login_page = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    with opener.open(urllib.request.Request(f"{base}login", data=form), timeout=60) as response:
        assert response.status == 200 and response.url == base, f"the login ended at {response.url}"
        return response.read().decode()


@pytest.mark.timeout(SERVING_WITHIN_SECONDS + 180)
def test_the_first_command_of_the_readme_serves_coop_and_the_demo_officer_logs_in(tmp_path):
    command = readme_command("Try it")
    copy = fresh_copy(tmp_path / "coop")
    started = time.monotonic()
    process = subprocess.Popen(["bash", "-c", command], cwd=copy, env=_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = Output(process)
    try:
        address = output.wait_for(r"coop is running at (http://\S+/)", SERVING_WITHIN_SECONDS)
        assert address, f"`{command}` never said where coop runs:\n{output.text[-5000:]}"
        serving_after = time.monotonic() - started
        password = output.wait_for(r"^\s+officer\s+(\S+)", 10)
        assert password, f"no demo login for the officer was printed:\n{output.text[-3000:]}"
        home = _log_in(address.group(1), "officer", password.group(1))
        assert 'data-testid="logout"' in home and "Сейтказиев" in home, home[:2000]
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C
        assert process.wait(timeout=60) == 0, output.text[-3000:]
        assert "coop has stopped." in output.text
        print(f"README command served after {serving_after:.0f} s")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.close()


def test_the_readme_test_command_is_what_ci_runs_and_its_set_up_works():
    command = readme_command("Run the tests")
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci_script.splitlines(), "CI must run the README's test command word for word"
    extras = re.search(r'pip install -q -e "\.\[(\w+)\]"', command)
    assert extras, command
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = project["optional-dependencies"][extras.group(1)]
    assert any(requirement.startswith("pytest>=") for requirement in installed)
    # The pytest part, with the project's own options (-n needs pytest-xdist from that extra), collects.
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
                                "tests/test_lint.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout + collected.stderr


def test_quickstart_refuses_a_port_that_is_taken(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["quickstart", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert "coop is running" not in result.output


def test_quickstart_reads_its_port_from_the_environment(app, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("COOP_PORT", str(port))
        result = app.test_cli_runner().invoke(args=["quickstart", "--host", "127.0.0.1"])
    assert result.exit_code != 0 and f"127.0.0.1:{port}" in result.output


def test_the_deployment_section_names_an_application_that_a_server_can_import(tmp_path):
    """gunicorn imports the module the README names, in a process of its own, and serves its `app`."""
    command = readme_command("Deployment")
    target = re.search(r"gunicorn .* ([\w.]+):(\w+)$", command, re.MULTILINE)
    assert target, command
    module, name = target.groups()
    check = (f"import gc, {module} as served; app = served.{name}; "
             "print(app.name, app.test_client().get('/login').status_code, gc.get_freeze_count() > 0)")
    environment = {**os.environ, "COOP_DATABASE_URL": f"sqlite:///{tmp_path / 'coop.sqlite'}",
                   "COOP_SECRET_KEY": "deployment-test", "COOP_UPLOAD_FOLDER": str(tmp_path / "uploads"),
                   "COOP_AUDIT_KEY_FILE": str(tmp_path / "audit_signing_key")}
    coop = Path(sys.executable).parent / "coop"
    subprocess.run([str(coop), "db", "upgrade"], cwd=tmp_path, env=environment, capture_output=True, check=True,
                   timeout=300)
    result = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["coop", "200", "True"], result.stdout + result.stderr
